import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  IssueServiceTokenResponseSchema,
  type IssueServiceTokenRequestSchema,
} from '@switchboard/contracts';
import { createServiceIdentity, type ServiceIdentityOptions } from './create-service-identity';

type Request = MessageInitShape<typeof IssueServiceTokenRequestSchema>;

/** A unit test of the caching logic: an issuer that counts its calls, on a clock the test moves. */
function fakeIssuer(ttlMs: number, clock: { now: number }) {
  const calls: Request[] = [];
  return {
    calls,
    async issueServiceToken(request: Request) {
      calls.push(request);
      await new Promise((r) => setImmediate(r));
      return create(IssueServiceTokenResponseSchema, {
        accessToken: `token-${calls.length}`,
        expiresAt: timestampFromMs(clock.now + ttlMs),
      });
    },
  };
}

type FakeIssuer = ReturnType<typeof fakeIssuer>;

/**
 * An identity over fakeIssuer(ttlMs) on a clock the test moves; `authClientOf`
 * lets a test put something in front of the issuer.
 */
function identityOver(
  ttlMs: number,
  options: Partial<Omit<ServiceIdentityOptions, 'authClient' | 'now'>> = {},
  authClientOf: (auth: FakeIssuer) => ServiceIdentityOptions['authClient'] = (auth) => auth,
) {
  const clock = { now: 1_000_000 };
  const auth = fakeIssuer(ttlMs, clock);
  const identity = createServiceIdentity({
    authClient: authClientOf(auth),
    clientId: 'c',
    clientSecret: 's',
    now: () => clock.now,
    ...options,
  });
  return { clock, auth, identity };
}

describe('createServiceIdentity', () => {
  it('asks once for concurrent callers and reuses the token', async () => {
    const { clock, auth, identity } = identityOver(15 * 60_000, {
      clientId: 'order-service',
      clientSecret: 'secret-123456789',
    });
    const headers = await Promise.all([identity.authorization(), identity.authorization()]);
    expect(headers).toEqual(['Bearer token-1', 'Bearer token-1']);
    clock.now += 10 * 60_000;
    expect(await identity.authorization()).toBe('Bearer token-1');
    expect(auth.calls).toEqual([{ clientId: 'order-service', clientSecret: 'secret-123456789' }]);
  });

  it('asks again once within the refresh margin, and after invalidate()', async () => {
    const { clock, identity } = identityOver(15 * 60_000, { refreshBeforeMs: 60_000 });
    expect(await identity.authorization()).toBe('Bearer token-1');
    clock.now += 14 * 60_000 - 1;
    expect(await identity.authorization()).toBe('Bearer token-1');
    clock.now += 1;
    expect(await identity.authorization()).toBe('Bearer token-2');
    identity.invalidate();
    expect(await identity.authorization()).toBe('Bearer token-3');
  });

  it('uses a token shorter-lived than the margin once, then asks afresh', async () => {
    const { identity } = identityOver(30_000, { refreshBeforeMs: 60_000 });
    expect(await identity.authorization()).toBe('Bearer token-1');
    expect(await identity.authorization()).toBe('Bearer token-2');
  });

  it('does not cache a failure', async () => {
    let fail = true;
    const { identity } = identityOver(15 * 60_000, {}, (auth) => ({
      issueServiceToken: (request) =>
        fail ? Promise.reject(new Error('auth down')) : auth.issueServiceToken(request),
    }));
    await expect(identity.authorization()).rejects.toThrow('auth down');
    fail = false;
    expect(await identity.authorization()).toBe('Bearer token-1');
  });
});
