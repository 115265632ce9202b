/**
 * grpc-js backs off reconnecting to an address that refused it, up to two
 * minutes, and fails calls at once meanwhile. A console is often started
 * before the services it shows, so its channels retry within a second: a
 * service that has just started is listed, and callable, at once.
 */
export const channelOptions = {
  'grpc.initial_reconnect_backoff_ms': 250,
  'grpc.max_reconnect_backoff_ms': 1_000,
} as const;
