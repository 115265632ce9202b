import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { create } from '@bufbuild/protobuf';
import { LoginResponseSchema, type LoginRequestSchema } from '@switchboard/contracts';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { createServiceToken } from './create-service-token';

/** A Login that counts its calls and issues tokens expiring `ttlMs` from now. */
function fakeLogin(ttlMs: number) {
  const calls: MessageInitShape<typeof LoginRequestSchema>[] = [];
  return {
    calls,
    async login(request: MessageInitShape<typeof LoginRequestSchema>) {
      calls.push(request);
      await new Promise((r) => setTimeout(r, 10));
      return create(LoginResponseSchema, {
        accessToken: `token-${calls.length}`,
        expiresAt: timestampFromDate(new Date(Date.now() + ttlMs)),
        userId: 'u-service',
      });
    },
  };
}

describe('createServiceToken', () => {
  it('logs in once for concurrent callers and reuses the token', async () => {
    const auth = fakeLogin(15 * 60_000);
    const token = createServiceToken({
      authClient: auth,
      email: 'svc@x',
      password: 'pw-123456789',
    });
    const headers = await Promise.all([token.authorization(), token.authorization()]);
    expect(headers).toEqual(['Bearer token-1', 'Bearer token-1']);
    expect(await token.authorization()).toBe('Bearer token-1');
    expect(auth.calls).toEqual([{ email: 'svc@x', password: 'pw-123456789' }]);
  });

  it('logs in again before the token expires, and after invalidate()', async () => {
    const auth = fakeLogin(30_000);
    const token = createServiceToken({
      authClient: auth,
      email: 'e',
      password: 'p',
      refreshBeforeMs: 60_000,
    });
    expect(await token.authorization()).toBe('Bearer token-1');
    // Expires within the refresh margin: every call logs in afresh.
    expect(await token.authorization()).toBe('Bearer token-2');

    const longLived = fakeLogin(15 * 60_000);
    const other = createServiceToken({ authClient: longLived, email: 'e', password: 'p' });
    expect(await other.authorization()).toBe('Bearer token-1');
    other.invalidate();
    expect(await other.authorization()).toBe('Bearer token-2');
  });

  it('does not cache a failed login', async () => {
    let fail = true;
    const auth = fakeLogin(15 * 60_000);
    const token = createServiceToken({
      authClient: {
        login: (request) => (fail ? Promise.reject(new Error('auth down')) : auth.login(request)),
      },
      email: 'e',
      password: 'p',
    });
    await expect(token.authorization()).rejects.toThrow('auth down');
    fail = false;
    expect(await token.authorization()).toBe('Bearer token-1');
  });
});
