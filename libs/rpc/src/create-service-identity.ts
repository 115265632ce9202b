import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { AuthService } from '@switchboard/contracts';
import type { ServiceClient } from './create-service-client';

export interface ServiceIdentityOptions {
  authClient: Pick<ServiceClient<typeof AuthService>, 'issueServiceToken'>;
  /** The service's name, e.g. "order-service": the token's subject. */
  clientId: string;
  /** `<SERVICE>_SERVICE_SECRET`. */
  clientSecret: string;
  /** Budget of one IssueServiceToken call. */
  timeoutMs?: number;
  /** Asks again this long before the token expires, so no call carries a dying token. */
  refreshBeforeMs?: number;
  /** Epoch milliseconds; injected by tests. */
  now?: () => number;
}

export interface ServiceIdentity {
  readonly clientId: string;
  /** An `authorization` header value carrying the service's token; fetched when needed. */
  authorization(): Promise<string>;
  /** Forgets the token (e.g. it was refused after its signing key was retired). */
  invalidate(): void;
}

/**
 * A service's own identity towards other services: the token auth issues for
 * its credential, never a person's password or token. One request is shared
 * by concurrent callers, and the token is reused until shortly before it
 * expires.
 */
export function createServiceIdentity(options: ServiceIdentityOptions): ServiceIdentity {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const refreshBeforeMs = options.refreshBeforeMs ?? 60_000;
  const now = options.now ?? Date.now;
  let cached: { header: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  async function issue(): Promise<string> {
    const res = await options.authClient.issueServiceToken(
      { clientId: options.clientId, clientSecret: options.clientSecret },
      { timeoutMs },
    );
    const expiresAt = res.expiresAt === undefined ? now() : timestampMs(res.expiresAt);
    const header = `Bearer ${res.accessToken}`;
    // A token shorter-lived than the margin is still used once rather than never.
    cached = { header, refreshAt: Math.max(now(), expiresAt - refreshBeforeMs) };
    return header;
  }

  return {
    clientId: options.clientId,
    authorization() {
      if (cached !== undefined && now() < cached.refreshAt) return Promise.resolve(cached.header);
      inFlight ??= issue().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
