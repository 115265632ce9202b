import { AsyncLocalStorage } from 'node:async_hooks';
import { context } from '@opentelemetry/api';

// Captured when this module loads, at start-up, where no call is being handled.
const outsideAnyCall = AsyncLocalStorage.snapshot();

/**
 * Runs `fn` outside the incoming call's async context. The rpc lib caps every
 * outgoing call at the deadline of the call being handled and cancels it with
 * that call; compensation (releasing a reservation after the caller's
 * deadline passed, or after the caller hung up) must not be cut short by it.
 * The trace goes along, though: that work belongs to the request that needed
 * it, even when it outlives it.
 */
export function runDetached<T>(fn: () => Promise<T>): Promise<T> {
  const trace = context.active();
  return outsideAnyCall(() => context.with(trace, fn));
}
