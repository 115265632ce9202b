/**
 * The deliveries not yet on the work queue, as the dispatcher sees them: an
 * outbox toward the queue. Claims keep two replicas from sending the same row
 * at once; a crash leaves the claim to expire, and the row is sent again
 * (with the same delivery id, which is what receivers deduplicate by).
 */
export interface DeliveryOutbox {
  /** Up to `limit` unsent, unclaimed rows, oldest first, claimed for `claimMs`. */
  claim(limit: number, claimMs: number): Promise<readonly UnsentDelivery[]>;
  /** The queue confirmed these: never send them again. */
  markSent(deliveryIds: readonly string[]): Promise<void>;
  /** Sending failed: free the claims so the next round retries them. */
  release(deliveryIds: readonly string[]): Promise<void>;
}

export interface UnsentDelivery {
  readonly deliveryId: string;
  /** The job body (JSON, see delivery-job.ts). */
  readonly body: Uint8Array;
}
