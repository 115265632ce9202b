import { randomUUID } from 'node:crypto';
import { toBinary, type Message } from '@bufbuild/protobuf';
import {
  CLOUD_EVENTS_SPEC_VERSION,
  PROTOBUF_CONTENT_TYPE,
  cloudEventHeaders,
} from './cloud-event-headers';
import type { EventRegistry } from '../create-event-registry';
import type { OutgoingRecord } from '../event-record';

export interface EncodeEventOptions {
  readonly registry: EventRegistry;
  /** CloudEvents `source`, e.g. `/switchboard/order-service`. */
  readonly source: string;
  /** Defaults to a random UUID; pass one to make a re-publish recognisable as the same event. */
  readonly id?: string;
  readonly time?: Date;
  /** Extra headers such as `traceparent`; they cannot override the CloudEvents ones. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface EncodedEvent extends OutgoingRecord {
  readonly key: string;
  readonly id: string;
  readonly type: string;
}

/** Frames a protobuf event as a binary-mode CloudEvent on its registry topic. */
export function encodeEvent(message: Message, options: EncodeEventOptions): EncodedEvent {
  const type = message.$typeName;
  const registered = options.registry.byType(type);
  if (!registered) {
    throw new Error(`${type} is not in the topic registry, so it has no topic to be published on`);
  }
  const key = registered.event.key(message as never);
  if (!key) {
    // An empty key would silently funnel every such event into one partition
    // and lose per-entity ordering; it is always a bug in the caller.
    throw new Error(`${type} has an empty record key; set the field its topic is keyed by`);
  }
  const id = options.id ?? randomUUID();
  return {
    topic: registered.topic.name,
    key,
    id,
    type,
    headers: {
      ...options.headers,
      [cloudEventHeaders.specversion]: CLOUD_EVENTS_SPEC_VERSION,
      [cloudEventHeaders.id]: id,
      [cloudEventHeaders.source]: options.source,
      [cloudEventHeaders.type]: type,
      [cloudEventHeaders.time]: (options.time ?? new Date()).toISOString(),
      [cloudEventHeaders.contentType]: PROTOBUF_CONTENT_TYPE,
    },
    value: toBinary(registered.event.schema, message),
  };
}
