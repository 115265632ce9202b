import { AsyncLocalStorage } from 'node:async_hooks';

/** The parts of the call being handled that outgoing calls must respect. */
export interface IncomingCall {
  /** Epoch milliseconds; undefined when the caller set no deadline. */
  deadline: number | undefined;
  signal: AbortSignal;
  requestId: string;
}

/**
 * Set by the server's handler wrapper and read by the client transport, so a
 * downstream call can never outlive the call that caused it, without every
 * handler having to thread a context through by hand.
 */
export const incomingCall = new AsyncLocalStorage<IncomingCall>();
