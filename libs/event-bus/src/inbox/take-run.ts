import type { DecodedEvent } from '../cloudevents/decode-event';
import { decodeTrustedEvent } from '../cloudevents/decode-trusted-event';
import { isEventDecodeError } from '../cloudevents/event-decode-error';
import type { EventRegistry } from '../create-event-registry';
import type { EventRecord } from '../event-record';
import { concernsGroup } from './concerns-group';

/** A record of a run: `event` is undefined for a type this group does not handle. */
export interface RunItem {
  readonly record: EventRecord;
  readonly event: DecodedEvent | undefined;
}

export interface RunRouting {
  readonly groupId: string;
  readonly handledTypes: ReadonlyMap<string, unknown>;
  readonly registry: EventRegistry;
}

/**
 * The longest run (at most `limit`) of records from `from` that can share a
 * transaction: each decodes or is of a type this group does not handle. It
 * ends before an undecodable record, which goes to the one-by-one path.
 */
export function takeRun(
  records: readonly EventRecord[],
  from: number,
  limit: number,
  { groupId, handledTypes, registry }: RunRouting,
): RunItem[] {
  const run: RunItem[] = [];
  for (let i = from; i < records.length && run.length < limit; i++) {
    const record = records[i]!;
    if (!concernsGroup(record, groupId, handledTypes)) {
      run.push({ record, event: undefined });
      continue;
    }
    try {
      run.push({ record, event: decodeTrustedEvent(record, registry) });
    } catch (err) {
      if (!isEventDecodeError(err)) throw err;
      break;
    }
  }
  return run;
}
