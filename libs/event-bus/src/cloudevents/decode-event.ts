import { fromBinary, type DescMessage, type Message } from '@bufbuild/protobuf';
import {
  CLOUD_EVENTS_SPEC_VERSION,
  PROTOBUF_CONTENT_TYPE,
  cloudEventHeaders,
} from './cloud-event-headers';
import type { EventRegistry } from '../create-event-registry';
import { EventDecodeError } from './event-decode-error';
import type { EventRecord } from '../event-record';

export interface DecodedEvent<M extends Message = Message> {
  /** CloudEvents `id`: the deduplication key for an idempotent consumer. */
  readonly id: string;
  readonly source: string;
  /** The full protobuf type name. */
  readonly type: string;
  /** RFC 3339, or undefined when the producer did not set `ce_time`. */
  readonly time: string | undefined;
  readonly schema: DescMessage;
  readonly message: M;
  readonly record: EventRecord;
}

/**
 * Reads a binary-mode CloudEvent back into its protobuf message. Throws
 * EventDecodeError for anything that can never decode, whatever the retry.
 */
export function decodeEvent(record: EventRecord, registry: EventRegistry): DecodedEvent {
  const header = (name: string): string => {
    const value = record.headers[name];
    if (value === undefined || value === '') {
      throw new EventDecodeError('missing_header', `record has no ${name} header`);
    }
    return value;
  };
  const specversion = header(cloudEventHeaders.specversion);
  if (specversion !== CLOUD_EVENTS_SPEC_VERSION) {
    throw new EventDecodeError(
      'unsupported_spec_version',
      `${cloudEventHeaders.specversion} is ${specversion}, expected ${CLOUD_EVENTS_SPEC_VERSION}`,
    );
  }
  const id = header(cloudEventHeaders.id);
  const source = header(cloudEventHeaders.source);
  const type = header(cloudEventHeaders.type);
  const contentType = header(cloudEventHeaders.contentType);
  // Media types may carry parameters (e.g. `; proto=...`); only the type matters here.
  if (contentType.split(';')[0]!.trim().toLowerCase() !== PROTOBUF_CONTENT_TYPE) {
    throw new EventDecodeError(
      'unsupported_content_type',
      `content-type is ${contentType}, expected ${PROTOBUF_CONTENT_TYPE}`,
    );
  }
  const registered = registry.byType(type);
  if (!registered) {
    throw new EventDecodeError('unknown_type', `${type} is not in the topic registry`);
  }
  if (record.value === null) {
    throw new EventDecodeError('malformed_payload', `${type} record has no value`);
  }
  const schema = registered.event.schema;
  let message: Message;
  try {
    message = fromBinary(schema, record.value);
  } catch (err) {
    throw new EventDecodeError(
      'malformed_payload',
      `${type} payload is not valid protobuf: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const time = record.headers[cloudEventHeaders.time] || undefined;
  return { id, source, type, time, schema, message, record };
}
