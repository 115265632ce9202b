import type { DescMessage } from '@bufbuild/protobuf';
import type { Logger } from '@switchboard/logger';
import type { DecodedEvent } from '../cloudevents/decode-event';
import { eventLogger } from './event-logger';
import type { BatchItem } from './on';

/**
 * The event with a logger made on first use: a child logger per event cost
 * a visible share of a busy consumer's CPU, and most handlers never log.
 */
export function toBatchItem(log: Logger, event: DecodedEvent): BatchItem<DescMessage> {
  let logger: Logger | undefined;
  return {
    message: event.message,
    event,
    get logger() {
      return (logger ??= eventLogger(log, event));
    },
  };
}
