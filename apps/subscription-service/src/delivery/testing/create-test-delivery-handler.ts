// Test support. Not shipped.
import type { JobHandler } from '@switchboard/work-queue';
import { createTestLogger } from '@switchboard/testing';
import { createManualClock } from '@switchboard/timing';
import { createDeliveryHandler, type DeliveryHandlerOptions } from '../create-delivery-handler';

/**
 * The delivery handler as the specs run it: loopback sinks allowed, a manual
 * clock, a 5 s timeout, 3 attempts, a 1 s to 60 s back-off with the jitter
 * pinned to its middle, and a quiet logger; a spec states only what it varies.
 */
export function createTestDeliveryHandler(
  options: Pick<DeliveryHandlerOptions, 'store'> & Partial<DeliveryHandlerOptions>,
): JobHandler {
  return createDeliveryHandler({
    clock: createManualClock(),
    allowLoopbackSinks: true,
    timeoutMs: 5_000,
    maxAttempts: 3,
    backoff: { initialMs: 1_000, maxMs: 60_000 },
    random: () => 0.5,
    logger: createTestLogger(),
    ...options,
  });
}
