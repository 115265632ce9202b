import type { WorkQueue } from '@switchboard/work-queue';

/**
 * The work queue, opened in the background: the service serves its API and
 * matches events into PostgreSQL without it, and starts what runs on it
 * (dispatcher, workers) once the broker answers. Until then matched
 * deliveries wait as PENDING rows, so an absent broker loses nothing.
 */
export interface QueueOpener {
  /** The open queue; undefined until an attempt succeeded. */
  readonly queue: WorkQueue | undefined;
  /** Starts opening (first attempt included) in the background; never throws, never waits for the broker. */
  start(): void;
  /** The health probe: rejects, saying why, until the queue is open. */
  probe(): Promise<void>;
  /** Ends the retrying (an attempt under way is aborted), then closes what runs on the queue, then the queue. */
  close(): Promise<void>;
}

/** What runs on the open queue; closed before the queue. */
export interface QueueUser {
  close(): Promise<void>;
}
