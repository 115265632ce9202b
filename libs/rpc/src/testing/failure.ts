import { ConnectError } from '@connectrpc/connect';

/**
 * The ConnectError a call failed with; fails the test if it succeeded or
 * failed with anything else. For this library's specs, which cannot use
 * libs/testing's copy: that lib is built on this one.
 */
export async function failure(
  call: Promise<unknown> | (() => Promise<unknown>),
): Promise<ConnectError> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return err as ConnectError;
  }
  throw new Error('expected the call to fail');
}
