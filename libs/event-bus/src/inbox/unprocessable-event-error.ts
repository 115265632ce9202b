/**
 * Thrown by a handler for an event that no retry can ever apply (a required
 * field missing, numbers that contradict each other). The consumer sends it to
 * the dead-letter topic at once instead of spending every retry on it.
 */
export class UnprocessableEventError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnprocessableEventError';
  }
}
