import { status as Status } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  type Health,
} from '@switchboard/contracts';
import type { ServiceImpl } from './create-service-definition';
import { RpcStatusError } from './to-grpc-status';

/** What the health service reads from the server it reports on. */
export interface HealthState {
  /** SERVICE_UNKNOWN for a name the server does not serve. */
  statusOf(service: string): ServingStatus;
  /** True once shutdown began: watchers get their last update and are closed. */
  readonly closing: boolean;
  /** Calls the listener on any change of any status; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

function nextChange(state: HealthState, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      unsubscribe();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const unsubscribe = state.subscribe(done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** grpc.health.v1 served through the same adapter as every other service. */
export function createHealthService(state: HealthState): ServiceImpl<typeof Health> {
  return {
    async check(request) {
      const status = state.statusOf(request.service);
      if (status === ServingStatus.SERVICE_UNKNOWN) {
        throw new RpcStatusError(Status.NOT_FOUND, `unknown service "${request.service}"`);
      }
      return { status };
    },

    // Per the spec, an unknown service is not an error for Watch: the stream
    // reports SERVICE_UNKNOWN and stays open in case the service appears.
    async *watch(request, ctx) {
      let last: ServingStatus | undefined;
      while (!ctx.signal.aborted) {
        const status = state.statusOf(request.service);
        if (status !== last) {
          last = status;
          yield { status };
        }
        // Open watches would otherwise hold a graceful shutdown for its whole grace period.
        if (state.closing) return;
        await nextChange(state, ctx.signal);
      }
    },
  };
}
