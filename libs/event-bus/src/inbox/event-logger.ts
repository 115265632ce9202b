import type { Logger } from '@switchboard/logger';
import type { DecodedEvent } from '../cloudevents/decode-event';

/** The consumer's logger, naming the event and where it came from. */
export function eventLogger(log: Logger, event: DecodedEvent): Logger {
  return log.child({
    eventId: event.id,
    eventType: event.type,
    topic: event.record.topic,
    partition: event.record.partition,
    offset: event.record.offset,
  });
}
