import { UnprocessableEventError } from '@switchboard/event-bus';

/**
 * An event that no retry can ever apply: a field the contract requires is
 * missing or contradicts another. Thrown from a handler so the event ends on
 * the dead-letter topic, where someone can look at it, instead of being
 * silently skipped or half-applied.
 */
export class InvalidEventError extends UnprocessableEventError {
  constructor(
    readonly eventType: string,
    readonly problems: readonly string[],
  ) {
    super(`${eventType} cannot be applied: ${problems.join('; ')}`);
    this.name = 'InvalidEventError';
  }
}
