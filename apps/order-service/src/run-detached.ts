import { AsyncLocalStorage } from 'node:async_hooks';

// Captured when this module loads, at start-up, where no call is being handled.
const outsideAnyCall = AsyncLocalStorage.snapshot();

/**
 * Runs `fn` outside the incoming call's async context. The rpc lib caps every
 * outgoing call at the deadline of the call being handled and cancels it with
 * that call; compensation (releasing a reservation after the caller's
 * deadline passed, or after the caller hung up) must not be cut short by it.
 */
export function runDetached<T>(fn: () => Promise<T>): Promise<T> {
  return outsideAnyCall(fn);
}
