import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { AuthService } from '@switchboard/contracts';
import type { ServiceClient } from '@switchboard/rpc';

export interface ServiceTokenOptions {
  authClient: Pick<ServiceClient<typeof AuthService>, 'login'>;
  email: string;
  password: string;
  /** Budget of one Login call. */
  timeoutMs?: number;
  /** Logs in again this long before the token expires, so no call carries a dying token. */
  refreshBeforeMs?: number;
}

export interface ServiceToken {
  /** An `authorization` header value for the service account; logs in when needed. */
  authorization(): Promise<string>;
  /** Forgets the token (e.g. inventory rejected it after a key rotation). */
  invalidate(): void;
}

/**
 * The service account's bearer token, for work no customer's request carries:
 * the settler's commits and stock returns. One login is shared by concurrent
 * callers, and the token is reused until shortly before it expires.
 */
export function createServiceToken(options: ServiceTokenOptions): ServiceToken {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const refreshBeforeMs = options.refreshBeforeMs ?? 60_000;
  let cached: { header: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  async function login(): Promise<string> {
    const res = await options.authClient.login(
      { email: options.email, password: options.password },
      { timeoutMs },
    );
    const expiresAt =
      res.expiresAt === undefined ? Date.now() : timestampDate(res.expiresAt).getTime();
    const header = `Bearer ${res.accessToken}`;
    // A token shorter-lived than the margin is still used once rather than never.
    cached = { header, refreshAt: Math.max(Date.now(), expiresAt - refreshBeforeMs) };
    return header;
  }

  return {
    authorization() {
      if (cached !== undefined && Date.now() < cached.refreshAt)
        return Promise.resolve(cached.header);
      inFlight ??= login().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
