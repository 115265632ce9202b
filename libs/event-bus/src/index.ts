// The event backbone: CloudEvents-framed protobuf events on Kafka. Only
// kafka/ knows the Kafka client library; swapping it touches nothing outside
// that folder.

// The interfaces, and their Kafka implementation.
export type {
  BatchConsumerOptions,
  BatchControl,
  ConsumerOptions,
  ConsumerStatus,
  EnsureTopicsResult,
  EventBus,
  EventBusOptions,
  EventConsumer,
  EventConsumerOptions,
  EventProducer,
  GroupLag,
  PartitionLag,
  PartitionOffsets,
  PartitionPosition,
  PublishOptions,
  PublishedEvent,
  RecordBatch,
  RecordConsumerOptions,
  TopicOverview,
} from './event-bus';
export type { EventRecord, OutgoingRecord } from './event-record';
export {
  createEventRegistry,
  type EventRegistry,
  type RegisteredEvent,
} from './create-event-registry';
export { eventSourceOf } from './event-source-of';
export { createEventBus } from './kafka/create-event-bus';
export {
  createServiceEventBus,
  type ServiceEventBusConfig,
  type ServiceEventBusOptions,
} from './kafka/create-service-event-bus';
export { createKafkaProbe } from './kafka/create-kafka-probe';

// Kafka security: TLS/SASL client options and ACLs derived from the topic registry.
export {
  createKafkaSecurity,
  type KafkaClientSecurity,
} from './kafka/security/create-kafka-security';
export {
  KAFKA_CLUSTER_RESOURCE,
  aclKey,
  principalOf,
  serviceAcls,
  servicePrincipals,
  type ServiceAcl,
} from './kafka/security/service-acls';
export {
  applyServiceAcls,
  type AppliedServiceAcls,
  type ApplyServiceAclsOptions,
} from './kafka/security/apply-service-acls';

// CloudEvents framing (binary mode).
export {
  CLOUD_EVENTS_SPEC_VERSION,
  PROTOBUF_CONTENT_TYPE,
  cloudEventHeaders,
} from './cloudevents/cloud-event-headers';
export {
  encodeEvent,
  type EncodeEventOptions,
  type EncodedEvent,
} from './cloudevents/encode-event';
export { decodeEvent, type DecodedEvent } from './cloudevents/decode-event';
export { decodeTrustedEvent } from './cloudevents/decode-trusted-event';
export {
  EventDecodeError,
  isEventDecodeError,
  type EventDecodeErrorReason,
} from './cloudevents/event-decode-error';

// The transactional outbox: events committed with the state they announce, then relayed.
export {
  appendToOutbox,
  OUTBOX_CHANNEL,
  type AppendToOutboxOptions,
} from './outbox/append-to-outbox';
export { createOutboxRelay } from './outbox/create-outbox-relay';
export type { OutboxRelay, OutboxRelayOptions } from './outbox/outbox-relay';
export {
  outboxMigrations,
  type OutboxDatabase,
  type OutboxLeaseTable,
  type OutboxTable,
} from './outbox/outbox-migrations';

// The consumer runtime: handlers applied exactly once per event id through
// the inbox table, poison records to `<topic>.dlq`.
export {
  on,
  onBatch,
  type BatchEventHandler,
  type BatchHandlerContext,
  type BatchItem,
  type EventHandler,
  type HandlerContext,
  type Subscription,
} from './inbox/on';
export { createInboxConsumer } from './inbox/create-inbox-consumer';
export type {
  InboxConsumer,
  InboxConsumerOptions,
  InboxConsumerState,
  InboxConsumerStatus,
} from './inbox/inbox-consumer';
export { inboxMigrations, type InboxDatabase, type InboxTable } from './inbox/inbox-migrations';
export { UnprocessableEventError } from './inbox/unprocessable-event-error';

// Dead letters: what a `.dlq` record carries, and the way back for a redrive.
export {
  DEAD_LETTER_HEADER_PREFIX,
  REDRIVE_GROUP_HEADER,
  deadLetterHeaders,
} from './dead-letters/dead-letter-headers';
export { toDeadLetter, type DeadLetterFailure } from './dead-letters/to-dead-letter';
export { fromDeadLetter } from './dead-letters/from-dead-letter';
export { redriveRefusal } from './dead-letters/redrive-refusal';
// Reading and redriving a `.dlq` topic: one implementation for the events CLI and the console.
export { readToEnd, type ReadToEndOptions } from './dead-letters/read-to-end';
export type { ReadDeadLetter } from './dead-letters/read-dead-letter';
export {
  deadLetterStatus,
  readDeadLetters,
  type ReadDeadLettersOptions,
} from './dead-letters/read-dead-letters';
export { REDRIVE_CONSUMER_GROUP, redriveDeadLetters } from './dead-letters/redrive-dead-letters';
export type { RedriveSummary, SkippedDeadLetter } from './dead-letters/redrive-summary';

// Trace context through records, rows and notifications (W3C, via the global propagator).
export {
  captureTraceContext,
  contextFromHeaders,
  contextFromStored,
  eventContext,
  traceHeaderNames,
} from './telemetry/trace-context';
