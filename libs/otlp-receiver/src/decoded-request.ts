import type { ReceivedSpan } from './received-span';

export interface DecodedTraces {
  spans: ReceivedSpan[];
  /** Why each refused span was refused; the response reports them as a partial success. */
  rejected: string[];
}

/** Metrics or logs: how many metrics or log records the request carried. */
export interface DecodedCounts {
  items: number;
}
