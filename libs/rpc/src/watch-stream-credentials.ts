import { DomainError, isDomainError } from '@switchboard/errors';
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
}

/**
 * A stream outlives the moment its token was checked: without this, a token
 * that expires or is revoked would keep a WatchNotifications open for days.
 * The expiry ends it on time; revocation is caught by checking the token
 * again every recheckMs (plus the authenticator's own cache time). An auth
 * service that is briefly down ends nothing: only a refusal does.
 * Returns the function that stops watching.
 */
export function watchStreamCredentials(options: StreamCredentialsOptions): () => void {
  const { token, caller, ctx, authenticate } = options;
  let done = false;
  const invalid = (err: DomainError) => {
    if (done) return;
    stop();
    options.onInvalid(err);
  };
  const timers: NodeJS.Timeout[] = [];
  if (caller.expiresAt !== undefined) {
    timers.push(
      setTimeout(
        () =>
          invalid(new DomainError('INVALID_TOKEN', 'the access token expired during the stream')),
        Math.max(0, caller.expiresAt.getTime() - Date.now()),
      ),
    );
  }
  timers.push(
    setInterval(() => {
      authenticate(token, ctx).then(
        () => undefined,
        (err: unknown) => {
          if (isDomainError(err) && err.kind === 'unauthenticated') {
            invalid(
              new DomainError('INVALID_TOKEN', 'the access token was revoked or expired', {
                cause: err,
              }),
            );
          }
        },
      );
    }, options.recheckMs),
  );
  for (const timer of timers) timer.unref();
  function stop() {
    done = true;
    for (const timer of timers) clearTimeout(timer);
  }
  return stop;
}
