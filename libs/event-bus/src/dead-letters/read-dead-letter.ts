import type { EventRecord } from '../event-record';

/** A dead letter as it sits on its `.dlq` topic, and what a redrive makes of it. */
export interface ReadDeadLetter {
  readonly record: EventRecord;
  /** Whether a redrive has already sent it back (the redrive group committed past it). */
  readonly redriven: boolean;
  /** Why a redrive will never send it anywhere, if it will not. */
  readonly redriveRefused?: string;
}
