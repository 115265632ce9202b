import { Code, ConnectError } from '@connectrpc/connect';
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthStatus,
} from '@switchboard/contracts';
import { createGrpcJsTransport, createServiceClient, type ClientTls } from '@switchboard/rpc';
import type { Clock } from '@switchboard/timing';

export interface WatchServiceHealthOptions {
  /** host:port of the service. */
  readonly address: string;
  readonly tls?: ClientTls;
  readonly clock: Clock;
  /** How long to wait before dialling again after the service went away. */
  readonly retryMs: number;
  /** Told each status, including UNREACHABLE when nothing answers. */
  readonly onStatus: (status: HealthStatus) => void;
  /** Ends the watch and releases its channel. */
  readonly signal: AbortSignal;
}

/** A watch is re-opened this often even when healthy, so no deadline is ever unbounded. */
const watchDeadlineMs = 10 * 60_000;

function toHealth(status: ServingStatus): HealthStatus {
  return status === ServingStatus.SERVING ? HealthStatus.SERVING : HealthStatus.NOT_SERVING;
}

/**
 * Follows a service's overall health (the empty service name) with
 * grpc.health.v1 Watch, so a change reaches the map the moment the service
 * reports it; a server without Watch is asked with Check every retry
 * interval instead. Resolves once the signal aborts.
 */
export async function watchServiceHealth(options: WatchServiceHealthOptions): Promise<void> {
  const { signal, clock } = options;
  const transport = createGrpcJsTransport({
    address: options.address,
    tls: options.tls,
    defaultTimeoutMs: options.retryMs,
  });
  const health = createServiceClient(Health, transport);
  let polling = false;
  try {
    while (!signal.aborted) {
      try {
        if (polling) {
          const { status } = await health.check({ service: '' }, { signal });
          options.onStatus(toHealth(status));
        } else {
          for await (const { status } of health.watch(
            { service: '' },
            { signal, timeoutMs: watchDeadlineMs },
          )) {
            options.onStatus(toHealth(status));
          }
          // The server ended the watch (it is shutting down): dial again after
          // the interval, not at once, so a server that keeps ending watches
          // cannot spin this loop.
        }
      } catch (err) {
        if (signal.aborted) break;
        const code = ConnectError.from(err).code;
        if (code === Code.DeadlineExceeded && !polling) continue;
        if (code === Code.Unimplemented && !polling) {
          polling = true;
          continue;
        }
        options.onStatus(
          code === Code.Unavailable || code === Code.DeadlineExceeded
            ? HealthStatus.UNREACHABLE
            : HealthStatus.NOT_SERVING,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = clock.setTimeout(done, options.retryMs);
        function done() {
          timer.cancel();
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
    }
  } finally {
    transport.close();
  }
}
