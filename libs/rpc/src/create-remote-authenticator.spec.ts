import { Role } from '@switchboard/contracts';
import { DomainError, isDomainError } from '@switchboard/errors';
import type { CallContext } from './call-context';
import { createRemoteAuthenticator } from './create-remote-authenticator';
import {
  captureLogs,
  standInServiceSecret,
  startAuthStandIn,
  type AuthStandIn,
} from './start-test-server';

function callContext(): CallContext {
  return {
    method: 'test.v1.Test/Call',
    requestId: 'r-1',
    header: () => undefined,
    signal: new AbortController().signal,
    logger: captureLogs().logger,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('createRemoteAuthenticator', () => {
  let auth: AuthStandIn;
  const options = () => ({
    authAddr: auth.address,
    service: 'order-service',
    serviceSecret: standInServiceSecret,
  });

  beforeAll(async () => {
    auth = await startAuthStandIn(async (request, ctx) => {
      if (request.accessToken === 'slow') {
        // Hangs until the caller gives up: only the authenticator's own timeout ends it.
        if (!ctx.signal.aborted) {
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        }
      }
      if (request.accessToken === 'admin')
        return { userId: 'u-9', roles: [Role.CUSTOMER, Role.ADMIN] };
      throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
    });
  });

  afterAll(() => auth.server.shutdown());

  it('verifies tokens with the auth service at authAddr, as this service', async () => {
    const remote = createRemoteAuthenticator(options());
    try {
      await expect(remote.authenticate('admin', callContext())).resolves.toEqual({
        userId: 'u-9',
        roles: ['customer', 'admin'],
      });
      const err = await rejection(remote.authenticate('forged', callContext()));
      expect(isDomainError(err) && err.code).toBe('INVALID_TOKEN');
      // The same identity serves the service's own calls to other services.
      expect(await remote.identity.authorization()).toMatch(/^Bearer service-token-/);
    } finally {
      await remote.close();
    }
  });

  it('says auth is unavailable when auth refuses the service itself, blaming no caller', async () => {
    const remote = createRemoteAuthenticator({ ...options(), serviceSecret: 'not-the-secret' });
    try {
      const err = await rejection(remote.authenticate('admin', callContext()));
      expect(isDomainError(err) && err.code).toBe('DEPENDENCY_UNAVAILABLE');
    } finally {
      await remote.close();
    }
  });

  it('refuses to start without a service secret', () => {
    expect(() => createRemoteAuthenticator({ ...options(), serviceSecret: undefined })).toThrow(
      'order-service has no service secret to identify itself to auth',
    );
  });

  it('gives up after timeoutMs and says auth is unavailable', async () => {
    const remote = createRemoteAuthenticator({ ...options(), timeoutMs: 100 });
    try {
      await remote.identity.authorization();
      const err = await rejection(remote.authenticate('slow', callContext()));
      expect(isDomainError(err) && err.code).toBe('DEPENDENCY_UNAVAILABLE');
    } finally {
      await remote.close();
    }
  });

  it('close() releases the channel: later checks fail instead of dialling again', async () => {
    const remote = createRemoteAuthenticator(options());
    await remote.authenticate('admin', callContext());
    await remote.close();
    await expect(remote.authenticate('admin', callContext())).rejects.toBeDefined();
  });
});
