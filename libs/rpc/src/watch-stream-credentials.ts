import { DomainError, isDomainError } from '@switchboard/errors';
import { createPeriodicTask, systemClock, type Clock } from '@switchboard/timing';
import type { Authenticate, CallContext, Caller } from './call-context';

export interface StreamCredentialsOptions {
  token: string;
  caller: Caller;
  ctx: CallContext;
  authenticate: Authenticate;
  /** How often the token is checked again while the stream lives. */
  recheckMs: number;
  /** Called once, when the token expires or is refused on a recheck. */
  onInvalid(err: DomainError): void;
  /** Times the expiry and the rechecks; tests pass a manual clock. */
  clock?: Clock;
}

/**
 * A stream outlives the moment its token was checked: without this, a token
 * that expires or is revoked would keep a WatchNotifications open for days.
 * The expiry ends it on time; revocation is caught by checking the token
 * again recheckMs after the last check ended (plus the authenticator's own
 * cache time). An auth
 * service that is briefly down ends nothing: only a refusal does.
 * Returns the function that stops watching.
 */
export function watchStreamCredentials(options: StreamCredentialsOptions): () => void {
  const { token, caller, ctx, authenticate, clock = systemClock } = options;
  let done = false;
  const invalid = (err: DomainError) => {
    if (done) return;
    stop();
    options.onInvalid(err);
  };
  const expiry =
    caller.expiresAt === undefined
      ? undefined
      : clock.setTimeout(
          () =>
            invalid(new DomainError('INVALID_TOKEN', 'the access token expired during the stream')),
          Math.max(0, caller.expiresAt.getTime() - clock.now()),
        );
  const recheck = createPeriodicTask({
    intervalMs: options.recheckMs,
    clock,
    run: () => authenticate(token, ctx),
    onError(err) {
      if (isDomainError(err) && err.kind === 'unauthenticated') {
        invalid(
          new DomainError('INVALID_TOKEN', 'the access token was revoked or expired', {
            cause: err,
          }),
        );
      }
    },
  });
  recheck.start();
  function stop() {
    done = true;
    expiry?.cancel();
    // Not awaited: a recheck in flight only ends in invalid(), which done makes a no-op.
    void recheck.close();
  }
  return stop;
}
