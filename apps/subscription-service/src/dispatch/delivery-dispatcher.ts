export interface DeliveryDispatcher {
  /** Starts the loop: a round on every wake-up, and at least every poll interval. */
  start(): void;
  /** Asks for a round now (a commit added deliveries). */
  poke(): void;
  /**
   * One round: claims a batch, sends each, marks what the queue confirmed.
   * Resolves with how many were sent. Exposed so tests step it themselves.
   */
  dispatchOnce(): Promise<number>;
  /** Stops after the round in hand. */
  close(): Promise<void>;
}
