import type { EventRecord } from '../event-record';

/** A dead letter that redrive refused: never produced anywhere. */
export interface SkippedDeadLetter {
  readonly partition: number;
  readonly offset: string;
  readonly reason: string;
  /** The letter itself, headers and all. */
  readonly record: EventRecord;
}

export interface RedriveSummary {
  /** Dead letters republished, in total. */
  readonly redriven: number;
  /** Republished per target consumer group; '' for letters that name no group. */
  readonly byGroup: ReadonlyMap<string, number>;
  readonly skipped: readonly SkippedDeadLetter[];
}
