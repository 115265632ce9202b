/**
 * Every domain error the services can raise, by stable code. A code never
 * changes meaning once shipped: clients and dashboards key on it. The kind
 * says what class of failure it is; libs/rpc maps kinds to gRPC status codes,
 * once, at the edge.
 */
export type ErrorKind =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition'
  | 'permission_denied'
  | 'unauthenticated'
  | 'resource_exhausted'
  | 'unavailable'
  | 'deadline_exceeded'
  | 'aborted'
  | 'unimplemented'
  | 'internal';

export const errorCatalogue = {
  // Generic, usable by any service.
  INVALID_ARGUMENT: 'invalid_argument',
  NOT_IMPLEMENTED: 'unimplemented',
  UNAUTHENTICATED: 'unauthenticated',
  PERMISSION_DENIED: 'permission_denied',
  DEPENDENCY_UNAVAILABLE: 'unavailable',
  DEPENDENCY_TIMEOUT: 'deadline_exceeded',
  INTERNAL: 'internal',
  // auth
  EMAIL_TAKEN: 'already_exists',
  INVALID_CREDENTIALS: 'unauthenticated',
  INVALID_TOKEN: 'unauthenticated',
  /** IssueServiceToken: an unknown service or a wrong secret. */
  INVALID_SERVICE_CREDENTIALS: 'unauthenticated',
  /** A service-only method called with a token that no longer verifies: the service gets a new one. */
  SERVICE_TOKEN_INVALID: 'unauthenticated',
  /** Too many failed logins for this account, from this address or in total; its RetryInfo says when to try again. */
  LOGIN_RATE_LIMITED: 'resource_exhausted',
  /** Too many registrations from this address or in total; its RetryInfo says when to try again. */
  REGISTER_RATE_LIMITED: 'resource_exhausted',
  SIGNING_KEY_NOT_FOUND: 'not_found',
  // inventory
  PRODUCT_NOT_FOUND: 'not_found',
  PRODUCT_EXISTS: 'already_exists',
  INSUFFICIENT_STOCK: 'failed_precondition',
  RESERVATION_NOT_FOUND: 'not_found',
  RESERVATION_CLOSED: 'failed_precondition',
  RESERVATION_MISMATCH: 'failed_precondition',
  STOCK_LIMIT_EXCEEDED: 'failed_precondition',
  // order
  ORDER_NOT_FOUND: 'not_found',
  ORDER_NOT_CANCELLABLE: 'failed_precondition',
  IDEMPOTENCY_KEY_REUSED: 'failed_precondition',
  IDEMPOTENCY_KEY_IN_USE: 'aborted',
  ORDER_MIXED_CURRENCIES: 'failed_precondition',
  // post
  POST_NOT_FOUND: 'not_found',
  USER_NOT_FOUND: 'not_found',
  // notification
  /** A WatchNotifications stream whose client read too slowly; it reconnects and lists. */
  WATCH_FELL_BEHIND: 'resource_exhausted',
  /** One user holds too many WatchNotifications streams open at one replica. */
  TOO_MANY_WATCHES: 'resource_exhausted',
  /** The replica is shutting down: the client watches again, elsewhere or later. */
  WATCH_UNAVAILABLE: 'unavailable',
  // subscription
  SUBSCRIPTION_NOT_FOUND: 'not_found',
  /** The sink did not agree to the CloudEvents Web Hooks handshake, or did not answer it in time. */
  SINK_HANDSHAKE_REFUSED: 'failed_precondition',
  /** More live subscriptions than one service keeps. */
  TOO_MANY_SUBSCRIPTIONS: 'resource_exhausted',
  // edge-gateway
  /** Too many Login or Register calls from one client address at the edge; RetryInfo says when. */
  RATE_LIMITED: 'resource_exhausted',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof errorCatalogue;
