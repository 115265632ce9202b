import { cloudEventHeaders } from './cloud-event-headers';
import type { EventRegistry } from '../create-event-registry';
import { decodeEvent, type DecodedEvent } from './decode-event';
import { EventDecodeError } from './event-decode-error';
import type { EventRecord } from '../event-record';

/**
 * decodeEvent, plus what a consumer must know before it lets a handler apply
 * the event: its type travels on this topic, and it comes from the one source
 * the registry allows for that type. Anyone who can write to a topic can put
 * any header on a record; this keeps a record that claims another service's
 * event, or that was written by the wrong service, away from every handler.
 * Both failures are permanent for the record, so they are EventDecodeErrors
 * and the consumer dead-letters the record at once.
 *
 * The type is checked first, from its header, so a forged record is refused
 * without parsing its payload.
 */
export function decodeTrustedEvent(record: EventRecord, registry: EventRegistry): DecodedEvent {
  const type = record.headers[cloudEventHeaders.type];
  const registered = type ? registry.byType(type) : undefined;
  if (registered && registered.topic.name !== record.topic) {
    throw new EventDecodeError(
      'wrong_topic',
      `${type} belongs on ${registered.topic.name}, not on ${record.topic}`,
    );
  }
  if (registered) {
    const source = record.headers[cloudEventHeaders.source];
    const allowed = registered.event.source;
    if (source && source !== allowed) {
      throw new EventDecodeError(
        'forbidden_source',
        `${type} from ${source} is refused: only ${allowed} publishes it`,
      );
    }
  }
  // Missing or empty headers (ce_source included) and unknown types fail here.
  return decodeEvent(record, registry);
}
