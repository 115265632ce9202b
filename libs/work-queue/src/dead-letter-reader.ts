/**
 * Reads what a work queue gave up on. Kept apart from WorkQueue: a service
 * records its dead letters in its own store as it makes them, so this is for
 * operators' tools and for tests that check the broker really holds them.
 */
export interface DeadLetterReader {
  /**
   * Takes up to `max` messages off the dead-letter queue, oldest first, and
   * removes them; resolves with fewer (or none) when the queue has no more.
   */
  takeDeadLetters(max: number): Promise<DeadLetter[]>;
}

export interface DeadLetter {
  /** The job's stable id. */
  readonly id: string;
  readonly body: Uint8Array;
  /** The handler's reason, or the broker's when it gave up by itself (too many deliveries). */
  readonly reason: string;
  /** The delivery on which the job was dead-lettered. */
  readonly attempt: number;
}
