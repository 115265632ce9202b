import { setTimeout as sleep } from 'node:timers/promises';
import type { Message } from '@bufbuild/protobuf';

/** An event with its ce_id fixed in advance, so a re-publish is the same event. */
export interface PlannedEvent {
  id: string;
  message: Message;
}

/** The one producer method this needs (the event bus's producer has it). */
export interface EventPublisher {
  publish(message: Message, options: { id: string }): Promise<unknown>;
}

export interface BackgroundStream {
  /** Events acknowledged so far. */
  published(): number;
  /** Resolves when all are acknowledged; rejects past the deadline. */
  done: Promise<void>;
}

/**
 * Publishes one event, and again under the same id when the broker did not
 * acknowledge it, as an outbox relay re-publishes: a consumer must skip the
 * second copy by its ce_id.
 */
export async function publishUntilAcked(
  producer: EventPublisher,
  event: PlannedEvent,
  deadline: number,
): Promise<void> {
  for (;;) {
    try {
      await producer.publish(event.message, { id: event.id });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

/**
 * Publishes the events in order at a fixed rate, in the background, so a test
 * can crash a consumer or restart the broker while they stream in.
 */
export function streamEventsInBackground(
  producer: EventPublisher,
  events: readonly PlannedEvent[],
  perSecond: number,
  timeoutMs: number,
): BackgroundStream {
  let published = 0;
  const deadline = Date.now() + timeoutMs;
  const started = Date.now();
  const done = (async () => {
    for (const event of events) {
      await publishUntilAcked(producer, event, deadline);
      published++;
      // Paced against the start, so a stall (an outage) is not made up for with a burst.
      const wait = started + (published * 1_000) / perSecond - Date.now();
      if (wait > 0) await sleep(wait);
    }
  })();
  // The test awaits it later; until then a rejection must not go unhandled.
  done.catch(() => undefined);
  return { published: () => published, done };
}

/**
 * Polls until `check` holds; fails with `what()` after `timeoutMs`. A check
 * that throws counts as not yet (a service's tables appear only once it has
 * migrated its database).
 */
export async function waitFor(
  check: () => Promise<boolean>,
  what: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let ok = false;
    try {
      ok = await check();
    } catch {
      // not there yet
    }
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what()} (not within ${timeoutMs} ms)`);
    await sleep(50);
  }
}
