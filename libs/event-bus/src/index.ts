// The event backbone: CloudEvents-framed protobuf events on Kafka. This folder
// is the only code that knows the Kafka client library; swapping it touches
// nothing outside libs/event-bus.
export {
  CLOUD_EVENTS_SPEC_VERSION,
  PROTOBUF_CONTENT_TYPE,
  cloudEventHeaders,
} from './cloud-event-headers';
export {
  createEventBus,
  type ConsumerOptions,
  type ConsumerStatus,
  type EnsureTopicsResult,
  type EventBus,
  type EventBusOptions,
  type EventConsumer,
  type EventConsumerOptions,
  type EventProducer,
  type PublishOptions,
  type PublishedEvent,
  type RecordConsumerOptions,
} from './create-event-bus';
export {
  createEventRegistry,
  type EventRegistry,
  type RegisteredEvent,
} from './create-event-registry';
export { decodeEvent, type DecodedEvent } from './decode-event';
export { encodeEvent, type EncodeEventOptions, type EncodedEvent } from './encode-event';
export {
  EventDecodeError,
  isEventDecodeError,
  type EventDecodeErrorReason,
} from './event-decode-error';
export type { EventRecord, OutgoingRecord } from './event-record';
export { createKafkaProbe } from './create-kafka-probe';
export { appendToOutbox, OUTBOX_CHANNEL, type AppendToOutboxOptions } from './append-to-outbox';
export {
  createOutboxRelay,
  type OutboxRelay,
  type OutboxRelayOptions,
} from './create-outbox-relay';
export {
  outboxMigrations,
  type OutboxDatabase,
  type OutboxLeaseTable,
  type OutboxTable,
} from './outbox-migrations';
