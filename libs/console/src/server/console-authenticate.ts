/** Who holds a bearer token, as far as the console needs to know. */
export interface ConsoleCaller {
  /** `admin`, `customer`, `service`: what the token may do. */
  readonly roles: readonly string[];
}

/**
 * Checks a bearer token. Throws a ConnectError: UNAUTHENTICATED for a token
 * that is invalid, expired or revoked; UNAVAILABLE when it cannot tell now.
 */
export type ConsoleAuthenticate = (token: string, signal: AbortSignal) => Promise<ConsoleCaller>;
