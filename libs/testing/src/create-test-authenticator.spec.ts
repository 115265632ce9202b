import { isDomainError } from '@switchboard/errors';
import type { CallContext } from '@switchboard/rpc';
import { bearer, createTestAuthenticator } from './create-test-authenticator';

describe('createTestAuthenticator', () => {
  const authenticate = createTestAuthenticator({
    'alice-token': { userId: 'u-alice', roles: ['customer'] },
  });
  // It reads only the token, as a stand-in for auth needs nothing else.
  const ctx = {} as CallContext;

  it('maps a listed token to its caller', async () => {
    await expect(authenticate('alice-token', ctx)).resolves.toEqual({
      userId: 'u-alice',
      roles: ['customer'],
    });
  });

  it.each(['forged-token', 'toString', ''])('refuses %j as an invalid token', async (token) => {
    const err = await authenticate(token, ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isDomainError(err) && err.code).toBe('INVALID_TOKEN');
  });

  it('asks callerOf about unlisted tokens, and still refuses what it does not know', async () => {
    const withUsers = createTestAuthenticator({}, (token) =>
      token.startsWith('user:') ? { userId: token.slice(5), roles: ['customer'] } : undefined,
    );
    await expect(withUsers('user:u-1', ctx)).resolves.toEqual({
      userId: 'u-1',
      roles: ['customer'],
    });
    await expect(withUsers('admin', ctx)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
  });

  it('sends a token as a bearer authorization header', () => {
    expect(bearer('t')).toEqual({ headers: { authorization: 'Bearer t' } });
  });
});
