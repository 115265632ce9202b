import type { Message } from '@bufbuild/protobuf';
import type { KafkaSecurityConfig } from '@switchboard/config';
import type { TopicSpec } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { DecodedEvent } from './cloudevents/decode-event';
import type { EventDecodeError } from './cloudevents/event-decode-error';
import type { EventRegistry } from './create-event-registry';
import type { EventRecord, OutgoingRecord } from './event-record';

// What the rest of the system sees of the event bus. The one implementation
// (kafka/) is the only code that knows the Kafka client library.

export interface EventBusOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** CloudEvents `source` of everything this bus publishes, e.g. `/switchboard/order-service`. */
  readonly source: string;
  /** The topic registry to publish, decode and create topics with; defaults to every topic. */
  readonly topics?: readonly TopicSpec[];
  /** Replicas per created topic; -1 lets the broker's default.replication.factor decide. */
  readonly replicationFactor?: number;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** TLS and SASL (libs/config kafkaSecurityConfig); unset: plaintext. */
  readonly security?: KafkaSecurityConfig;
}

export interface EnsureTopicsResult {
  readonly created: readonly string[];
  readonly existing: readonly string[];
}

export interface PublishOptions {
  /** Reuse an id (e.g. an outbox row's) so a re-publish is recognisably the same event. */
  readonly id?: string;
  readonly time?: Date;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * CloudEvents `source` of this one event instead of the bus's: for tools and
   * tests that publish what another service would (consumers refuse a type
   * from any source but the one the registry allows).
   */
  readonly source?: string;
}

export interface PublishedEvent {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly id: string;
  readonly key: string;
  readonly type: string;
}

export interface EventProducer {
  /** Frames a registered protobuf event as a CloudEvent and writes it to its topic. */
  publish(event: Message, options?: PublishOptions): Promise<PublishedEvent>;
  /**
   * Writes records as they are (pre-encoded outbox rows, dead letters),
   * preserving their order per partition; resolves once all are acknowledged.
   */
  publishRaw(records: readonly OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

interface ConsumerBaseOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /**
   * Where a group with no committed offset starts. Defaults to true: a new
   * group must see events published before it first joined.
   */
  readonly fromBeginning?: boolean;
  /**
   * A throwaway group (a CLI tail, a test probe): it commits nothing and is
   * deleted on stop, so it never shows up next to the services' groups.
   */
  readonly ephemeral?: boolean;
  /**
   * Where to start on these partitions when the consumer first joins,
   * whatever the group committed and whatever fromBeginning says: a reader
   * that wants only the latest records (the console's tail) starts there
   * instead of reading the whole log.
   */
  readonly startAt?: readonly PartitionPosition[];
}

/** An offset on one partition of one topic. */
export interface PartitionPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** Decoded events, one at a time per partition; undecodable records aside. */
export interface EventConsumerOptions extends ConsumerBaseOptions {
  readonly kind: 'event';
  /**
   * Called once per decoded event, one at a time per partition. Throwing
   * makes the record be delivered again (at-least-once); the offset is only
   * committed after this resolves.
   */
  readonly onEvent: (event: DecodedEvent) => Promise<void> | void;
  /**
   * Called for a record that can never decode. Defaults to logging it and
   * moving on; the DLQ runtime plugs in here to dead-letter it instead.
   */
  readonly onDecodeError?: (error: EventDecodeError, record: EventRecord) => Promise<void> | void;
}

export interface RecordConsumerOptions extends ConsumerBaseOptions {
  readonly kind: 'record';
  /** Raw records, undecoded; for tools that must show even what does not decode. */
  readonly onRecord: (record: EventRecord) => Promise<void> | void;
}

/** The records of one partition that one fetch returned, in offset order. */
export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  /** The partition's end offset when the batch was fetched. */
  readonly highWatermark: string;
  readonly records: readonly EventRecord[];
}

/** What a batch handler may do while it works through one batch. */
export interface BatchControl {
  /**
   * Marks a record of this batch as done: a later fetch in this session
   * starts after it. Nothing reaches the broker until commit().
   */
  resolve(offset: string): void;
  /**
   * Commits the position after the last resolved record of this partition
   * (a no-op when nothing new was resolved, and for ephemeral groups).
   */
  commit(): Promise<void>;
  /** Keeps group membership alive during long work; throws when the group is rebalancing. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping: finish the record in hand, commit, return. */
  isRunning(): boolean;
  /** True once this partition was revoked or re-sought: return without processing more. */
  isStale(): boolean;
}

export interface BatchConsumerOptions extends ConsumerBaseOptions {
  readonly kind: 'batch';
  /**
   * Manual-commit mode, for consumers that must commit only after their own
   * side effects are durable (the inbox runtime, the DLQ redrive). Records
   * that are not resolved are fetched again; nothing is committed unless the
   * handler calls commit(). One batch per partition at a time.
   */
  readonly onBatch: (batch: RecordBatch, control: BatchControl) => Promise<void>;
  /**
   * Batches of different partitions handled at once (default 1). Records of
   * one partition still go one batch at a time, in order.
   */
  readonly partitionsConsumedConcurrently?: number;
}

/** The three ways to consume, told apart by `kind`. */
export type ConsumerOptions = EventConsumerOptions | RecordConsumerOptions | BatchConsumerOptions;

/** How far a consumer group is behind on one partition. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The next offset the group will read; null when it never committed on this partition. */
  readonly committedOffset: string | null;
  /** The offset the next record written to the partition will get. */
  readonly highWatermark: string;
  /** The oldest retained offset: where a group without a commit starts from. */
  readonly lowWatermark: string;
  /** Records not yet consumed: high watermark − (committed offset, else low watermark). */
  readonly lag: number;
}

/** The retained offset range of one partition. */
export interface PartitionOffsets {
  readonly partition: number;
  readonly low: string;
  readonly high: string;
}

/** One consumer group's position on one topic. */
export interface GroupLag {
  readonly groupId: string;
  /** Every partition of the topic, sorted; committedOffset null where it never committed. */
  readonly partitions: readonly PartitionLag[];
}

/** A topic's partitions and every consumer group that committed on it. */
export interface TopicOverview {
  readonly topic: string;
  readonly partitions: readonly PartitionOffsets[];
  /** Sorted by group id. */
  readonly groups: readonly GroupLag[];
}

export type ConsumerStatus = 'idle' | 'starting' | 'running' | 'crashed' | 'stopped';

export interface EventConsumer {
  readonly groupId: string;
  /** Joins the group and starts delivering; rejects if the broker cannot be reached. */
  start(): Promise<void>;
  /** Leaves the group after in-flight handlers finish. */
  stop(): Promise<void>;
  status(): ConsumerStatus;
  /** Partitions this member owns right now, by topic; changes on every rebalance. */
  assignment(): Readonly<Record<string, readonly number[]>>;
}

export interface EventBus {
  readonly registry: EventRegistry;
  /** Creates every topic and its `.dlq` twin that does not exist yet, and waits for leaders. */
  ensureTopics(specs?: readonly TopicSpec[]): Promise<EnsureTopicsResult>;
  /** One cheap admin round trip, for health checks; rejects when the broker does not answer in time. */
  ping(timeoutMs?: number): Promise<void>;
  listTopics(): Promise<string[]>;
  /** Low and high watermark of every partition of a topic. */
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /**
   * The lag of a consumer group per partition, for the given topics, or for
   * every topic the group has committed offsets on. Sorted by topic, partition.
   */
  consumerLag(groupId: string, topics?: readonly string[]): Promise<PartitionLag[]>;
  /**
   * Every topic on the broker (internal ones included) with its partitions'
   * offsets and the lag of each group that committed on it, sorted by name.
   * Each topic's offsets are fetched once however many groups read it.
   */
  describeTopics(): Promise<TopicOverview[]>;
  createProducer(): EventProducer;
  createConsumer(options: ConsumerOptions): EventConsumer;
  /** Stops every producer and consumer made by this bus and disconnects. */
  close(): Promise<void>;
}
