import { setTimeout as sleep } from 'node:timers/promises';
import { AuthService, Role } from '@switchboard/contracts';
import { DomainError, isDomainError } from '@switchboard/errors';
import type { CallContext } from './call-context';
import { createRemoteAuthenticator } from './create-remote-authenticator';
import { captureLogs, startTestServer, type TestServer } from './start-test-server';

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
  let auth: TestServer;

  beforeAll(async () => {
    // A stand-in for the auth service, reached over a real socket.
    auth = await startTestServer(
      (server) =>
        server.addService(
          AuthService,
          {
            async verifyToken(request, ctx) {
              if (request.accessToken === 'slow') {
                await sleep(2_000, undefined, { signal: ctx.signal }).catch(() => undefined);
              }
              if (request.accessToken === 'admin') {
                return { userId: 'u-9', roles: [Role.CUSTOMER, Role.ADMIN] };
              }
              throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
            },
          },
          { access: { default: 'public' } },
        ),
      { authenticate: undefined },
    );
  });

  afterAll(() => auth.server.shutdown());

  it('verifies tokens with the auth service at authAddr', async () => {
    const remote = createRemoteAuthenticator({ authAddr: auth.address });
    try {
      await expect(remote.authenticate('admin', callContext())).resolves.toEqual({
        userId: 'u-9',
        roles: ['customer', 'admin'],
      });
      const err = await rejection(remote.authenticate('forged', callContext()));
      expect(isDomainError(err) && err.code).toBe('INVALID_TOKEN');
      // The same channel serves a service's own calls to auth.
      await expect(remote.client.verifyToken({ accessToken: 'admin' })).resolves.toMatchObject({
        userId: 'u-9',
      });
    } finally {
      await remote.close();
    }
  });

  it('gives up after timeoutMs and says auth is unavailable', async () => {
    const remote = createRemoteAuthenticator({ authAddr: auth.address, timeoutMs: 100 });
    try {
      const started = Date.now();
      const err = await rejection(remote.authenticate('slow', callContext()));
      expect(isDomainError(err) && err.code).toBe('DEPENDENCY_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      await remote.close();
    }
  });

  it('close() releases the channel: later checks fail instead of dialling again', async () => {
    const remote = createRemoteAuthenticator({ authAddr: auth.address });
    await remote.authenticate('admin', callContext());
    await remote.close();
    await expect(remote.authenticate('admin', callContext())).rejects.toBeDefined();
  });
});
