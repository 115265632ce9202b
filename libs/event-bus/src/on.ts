import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { Logger } from '@switchboard/logger';
import type { Transaction } from '@switchboard/storage';
import type { DecodedEvent } from './decode-event';

export interface HandlerContext<DB> {
  /**
   * The transaction the inbox row is written in: write every effect through
   * it, so the effect and "this event was handled" commit or roll back together.
   */
  trx: Transaction<DB>;
  event: DecodedEvent;
  /** Carries the event's id, type, topic, partition and offset. */
  logger: Logger;
  /**
   * Runs `fn` once the transaction committed, and never if it rolled back or
   * the event was a duplicate: for effects outside the database (pushing a
   * live notification). A throw there is logged; the event stays handled.
   */
  afterCommit(fn: () => void): void;
}

export type EventHandler<DB, Desc extends DescMessage> = (
  message: MessageShape<Desc>,
  ctx: HandlerContext<DB>,
) => Promise<void>;

export interface Subscription<DB> {
  readonly schema: DescMessage;
  readonly handle: EventHandler<DB, DescMessage>;
}

/**
 * Binds a handler to an event type. The topic is not named here: the inbox
 * consumer finds it in the registry from the schema, so a service cannot
 * subscribe to the right event on the wrong topic.
 */
export function on<DB, Desc extends DescMessage>(
  schema: Desc,
  handle: EventHandler<DB, Desc>,
): Subscription<DB> {
  // The consumer only calls `handle` with messages decoded by this `schema`,
  // which is what makes widening the parameter type sound.
  return { schema, handle: handle as unknown as EventHandler<DB, DescMessage> };
}
