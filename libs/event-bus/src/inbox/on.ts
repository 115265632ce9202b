import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { Logger } from '@switchboard/logger';
import type { Transaction } from '@switchboard/storage';
import type { DecodedEvent } from '../cloudevents/decode-event';

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

/** One event of a batch: its message, its envelope and its own logger. */
export interface BatchItem<Desc extends DescMessage> {
  readonly message: MessageShape<Desc>;
  readonly event: DecodedEvent;
  /** Carries the event's id, type, topic, partition and offset. */
  readonly logger: Logger;
}

/** What a batch handler shares with its events: one transaction, one afterCommit. */
export type BatchHandlerContext<DB> = Pick<HandlerContext<DB>, 'trx' | 'afterCommit'>;

export type BatchEventHandler<DB, Desc extends DescMessage> = (
  items: readonly BatchItem<Desc>[],
  ctx: BatchHandlerContext<DB>,
) => Promise<void>;

export interface Subscription<DB> {
  readonly schema: DescMessage;
  readonly handle: EventHandler<DB, DescMessage>;
  /** Set by onBatch: consecutive new events of this type, handled by one call. */
  readonly handleBatch?: BatchEventHandler<DB, DescMessage>;
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

/**
 * Like `on`, for a handler that takes several events at once, so a busy
 * consumer writes a run of events with a few multi-row statements instead of
 * a few statements per event. The inbox consumer passes it the consecutive
 * new events of this type in a run (in offset order, all in one transaction),
 * and a single event whenever it handles one at a time: after a failure, in
 * retries, and for a lone record. A throw fails the whole batch, which is
 * then retried event by event, so retries and dead letters still concern
 * the one event that fails.
 */
export function onBatch<DB, Desc extends DescMessage>(
  schema: Desc,
  handleBatch: BatchEventHandler<DB, Desc>,
): Subscription<DB> {
  const widened = handleBatch as unknown as BatchEventHandler<DB, DescMessage>;
  return {
    schema,
    handleBatch: widened,
    handle: (message, { trx, event, logger, afterCommit }) =>
      widened([{ message, event, logger }], { trx, afterCommit }),
  };
}
