import type { Logger } from '@switchboard/logger';

/** 'service' is held by services only, never together with a person's role. */
export type CallerRole = 'admin' | 'customer' | 'service';

/** Who is calling, as established by the authenticator. */
export interface Caller {
  userId: string;
  roles: CallerRole[];
  /** When the caller's token expires, where known: a stream ends then. */
  expiresAt?: Date;
}

/** What a handler knows about the call it serves, free of any transport types. */
export interface CallContext {
  /** `package.Service/Method`, as in logs. */
  method: string;
  /** Taken from `x-request-id` when the caller sent a sane one, so a trace spans services. */
  requestId: string;
  /** Set when the method is not public, or when a public method got a valid token. */
  caller?: Caller;
  /**
   * The client's address as the socket reports it (`host:port`, e.g.
   * `127.0.0.1:51234` or `::1:51234`), for per-client budgets. A proxy in
   * front of the service makes this the proxy's address.
   */
  peerAddress?: string;
  /** First value of a request header (gRPC metadata); names are case-insensitive. */
  header(name: string): string | undefined;
  /** Aborts when the client cancels, the deadline passes or the server is forced down. */
  signal: AbortSignal;
  deadline?: Date;
  /**
   * With mutual TLS, the name (CN, else first DNS SAN) in the client
   * certificate the server verified for this call's connection; undefined
   * on plaintext, without a certificate, or with an unverified one.
   */
  readonly peerCertificateName?: string;
  /** Child logger carrying method and request id. */
  logger: Logger;
}

/**
 * Turns a bearer token into a caller, or throws: a DomainError of kind
 * `unauthenticated` for a bad token, `unavailable` when it cannot tell.
 */
export type Authenticate = (token: string, ctx: CallContext) => Promise<Caller>;
