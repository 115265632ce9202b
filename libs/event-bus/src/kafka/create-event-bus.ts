import {
  Kafka,
  Partitioners,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
} from 'kafkajs';
import type { Message } from '@bufbuild/protobuf';
import type { KafkaSecurityConfig } from '@switchboard/config';
import { deadLetterTopicOf, type TopicSpec } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { createEventRegistry, type EventRegistry } from '../create-event-registry';
import { createKafkaSecurity } from './security/create-kafka-security';
import { createKafkaLogCreator, kafkaLogLevelFor } from './create-kafka-log-creator';
import { decodeEvent, type DecodedEvent } from '../cloudevents/decode-event';
import { encodeEvent } from '../cloudevents/encode-event';
import { EventDecodeError } from '../cloudevents/event-decode-error';
import type { EventRecord, OutgoingRecord } from '../event-record';
import { silenceKafkajsTimerWarning } from './silence-kafkajs-timer-warning';
import { stopKafkajsIdleSpin } from './stop-kafkajs-idle-spin';

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
}

export interface EventConsumerOptions extends ConsumerBaseOptions {
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
  createProducer(): EventProducer;
  createConsumer(options: ConsumerOptions): EventConsumer;
  /** Stops every producer and consumer made by this bus and disconnects. */
  close(): Promise<void>;
}

export function createEventBus(options: EventBusOptions): EventBus {
  silenceKafkajsTimerWarning();
  stopKafkajsIdleSpin();
  const { logger } = options;
  const registry = createEventRegistry(options.topics);
  const clientConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: kafkaLogLevelFor(logger),
    logCreator: createKafkaLogCreator(logger),
    ...createKafkaSecurity(options.security),
  };
  const kafka = new Kafka(clientConfig);
  // Health checks must answer fast and never queue behind retries, so they
  // get their own client that gives up after one attempt.
  const probeKafka = new Kafka({ ...clientConfig, retry: { retries: 0 } });

  const closers = new Set<() => Promise<void>>();
  const admins = createAdminPool(kafka);
  const probeAdmin = createAdminPool(probeKafka);
  let closed = false;

  async function ensureTopics(
    specs: readonly TopicSpec[] = registry.topics,
  ): Promise<EnsureTopicsResult> {
    const wanted = new Map<string, number>();
    for (const spec of specs) {
      wanted.set(spec.name, spec.partitions);
      wanted.set(deadLetterTopicOf(spec.name), spec.partitions);
    }
    return admins.use(async (admin) => {
      const present = new Set(await admin.listTopics());
      const missing = [...wanted].filter(([name]) => !present.has(name));
      const existing = [...wanted.keys()].filter((name) => present.has(name));
      if (missing.length > 0) {
        // Another service may create the same topics concurrently; kafkajs
        // resolves (false) when every failure is TOPIC_ALREADY_EXISTS.
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map(([topic, numPartitions]) => ({
            topic,
            numPartitions,
            replicationFactor: options.replicationFactor ?? -1,
          })),
        });
        logger.info({ topics: missing.map(([name]) => name) }, 'created kafka topics');
      }
      if (existing.length > 0) {
        const metadata = await admin.fetchTopicMetadata({ topics: existing });
        for (const topic of metadata.topics) {
          const expected = wanted.get(topic.name)!;
          if (topic.partitions.length !== expected) {
            // Repartitioning moves keys between partitions and breaks their
            // ordering, so it is an operator's decision, never automatic.
            logger.warn(
              { topic: topic.name, partitions: topic.partitions.length, expected },
              'kafka topic has a different partition count than the registry',
            );
          }
        }
      }
      return { created: missing.map(([name]) => name), existing };
    });
  }

  async function ping(timeoutMs = 2_000): Promise<void> {
    await withTimeout(
      probeAdmin.use((admin) => admin.describeCluster()),
      timeoutMs,
      `kafka did not answer within ${timeoutMs} ms`,
    );
  }

  function createProducer(): EventProducer {
    const producer = kafka.producer({
      idempotent: true,
      // kafkajs keeps per-partition sequence numbers in order only with one request in flight.
      maxInFlightRequests: 1,
      // Java-client-compatible murmur2 partitioning: a key lands on the same
      // partition whichever client published it.
      createPartitioner: Partitioners.DefaultPartitioner,
      // kafkajs's idempotent default is to retry forever, which would hang a
      // publish for as long as the broker is down; bounded retries let the
      // caller (an outbox relay) see the failure and try again later, and
      // consumers deduplicate by ce_id.
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
    const connection = createLazyConnection(
      () => producer.connect(),
      () => producer.disconnect(),
    );
    producer.on(producer.events.DISCONNECT, () => connection.reset());

    async function send(records: readonly OutgoingRecord[]) {
      if (closed) throw new Error('event bus is closed');
      await connection.open();
      const acks = [];
      // Runs of one topic go out as one request, in input order, so the
      // per-partition order of the input survives.
      for (const group of groupConsecutiveByTopic(records)) {
        const metadata = await producer.send({
          topic: group.topic,
          acks: -1,
          messages: group.records.map(toKafkaMessage),
        });
        acks.push(...metadata);
      }
      return acks;
    }

    const close = async () => {
      closers.delete(close);
      await connection.close();
    };
    closers.add(close);

    return {
      async publish(event, publishOptions = {}) {
        const encoded = encodeEvent(event, {
          registry,
          ...publishOptions,
          source: publishOptions.source ?? options.source,
        });
        const [ack] = await send([encoded]);
        return {
          topic: encoded.topic,
          partition: ack!.partition,
          offset: ack!.baseOffset ?? '-1',
          id: encoded.id,
          key: encoded.key,
          type: encoded.type,
        };
      },
      async publishRaw(records) {
        await send(records);
      },
      close,
    };
  }

  function createConsumer(consumerOptions: ConsumerOptions): EventConsumer {
    const { groupId, topics, fromBeginning = true, ephemeral = false } = consumerOptions;
    const log = logger.child({ groupId });
    let status: ConsumerStatus = 'idle';
    let assignment: Record<string, number[]> = {};
    const consumer: Consumer = kafka.consumer({
      groupId,
      // An idle fetch is parked on the broker for this long, and stop() has
      // to wait for it; kafkajs's 5 s default would make every shutdown slow.
      maxWaitTimeInMs: 1_000,
      // A member that died without leaving (SIGKILL, a lost host) holds its
      // partitions until the session times out; kafkajs's 30 s default meant a
      // restarted replica sat idle that long. 10 s is still far above the
      // 3 s heartbeat, so a busy but healthy member is not evicted.
      sessionTimeout: 10_000,
      heartbeatInterval: 3_000,
      retry: {
        retries: 5,
        // After a crash kafkajs rebuilds the consumer and rejoins; a broker
        // outage must never leave a service silently not consuming.
        restartOnFailure: async (error) => {
          log.warn({ err: error }, 'kafka consumer crashed; restarting');
          return true;
        },
      },
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      assignment = payload.memberAssignment;
      status = 'running';
      log.debug({ assignment }, 'joined consumer group');
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) {
        status = 'crashed';
        log.error({ err: payload.error }, 'kafka consumer stopped after a crash');
      }
    });

    const handle = async (record: EventRecord): Promise<void> => {
      if ('onBatch' in consumerOptions) return; // batch mode never goes through here
      if ('onRecord' in consumerOptions) {
        await consumerOptions.onRecord(record);
        return;
      }
      let event: DecodedEvent;
      try {
        event = decodeEvent(record, registry);
      } catch (err) {
        if (!(err instanceof EventDecodeError)) throw err;
        if (consumerOptions.onDecodeError) {
          await consumerOptions.onDecodeError(err, record);
        } else {
          log.error(
            {
              reason: err.reason,
              topic: record.topic,
              partition: record.partition,
              offset: record.offset,
            },
            `skipping undecodable record: ${err.message}`,
          );
        }
        return;
      }
      await consumerOptions.onEvent(event);
    };

    const stop = async () => {
      closers.delete(stop);
      if (status === 'stopped') return;
      const wasStarted = status !== 'idle';
      status = 'stopped';
      await consumer.disconnect();
      if (ephemeral && wasStarted) {
        await admins
          .use((admin) => admin.deleteGroups([groupId]))
          .catch((err: unknown) => {
            log.debug({ err }, 'could not delete ephemeral consumer group');
          });
      }
    };
    closers.add(stop);

    return {
      groupId,
      async start() {
        if (closed) throw new Error('event bus is closed');
        if (status !== 'idle' && status !== 'crashed') return;
        status = 'starting';
        try {
          await consumer.connect();
          await consumer.subscribe({ topics: [...topics], fromBeginning });
          if ('onBatch' in consumerOptions) {
            const { onBatch } = consumerOptions;
            await consumer.run({
              autoCommit: false,
              partitionsConsumedConcurrently: consumerOptions.partitionsConsumedConcurrently ?? 1,
              // Left to the handler: an unresolved record must be fetched again.
              eachBatchAutoResolve: false,
              eachBatch: async (payload) =>
                onBatch(toRecordBatch(payload.batch), createBatchControl(payload, ephemeral)),
            });
          } else {
            await consumer.run({
              autoCommit: !ephemeral,
              eachMessage: async ({ topic, partition, message }) =>
                handle(toEventRecord(topic, partition, message)),
            });
          }
        } catch (err) {
          status = 'idle';
          await consumer.disconnect().catch(() => {});
          throw err;
        }
      },
      stop,
      status: () => status,
      assignment: () => assignment,
    };
  }

  return {
    registry,
    ensureTopics,
    ping,
    listTopics: () => admins.use((admin) => admin.listTopics()),
    topicOffsets: (topic) =>
      admins.use(async (admin) =>
        (await fetchTopicOffsets(admin, topic))
          .map(({ partition, low, high }) => ({ partition, low, high }))
          .sort((a, b) => a.partition - b.partition),
      ),
    consumerLag: (groupId, lagTopics) => admins.use((admin) => fetchLag(admin, groupId, lagTopics)),
    createProducer,
    createConsumer,
    async close() {
      if (closed) return;
      closed = true;
      const results = await Promise.allSettled([...closers].map((close) => close()));
      await Promise.allSettled([admins.close(), probeAdmin.close()]);
      for (const result of results) {
        if (result.status === 'rejected')
          logger.warn({ err: result.reason }, 'error while closing kafka client');
      }
    },
  };
}

/**
 * Connects on first use and again after a failure or a disconnect, so a
 * service can start while Kafka is down and recover when it comes back.
 */
function createLazyConnection(connect: () => Promise<void>, disconnect: () => Promise<void>) {
  let pending: Promise<void> | undefined;
  return {
    open(): Promise<void> {
      pending ??= connect().catch((err: unknown) => {
        pending = undefined;
        throw err;
      });
      return pending;
    },
    reset() {
      pending = undefined;
    },
    async close() {
      if (!pending) return;
      pending = undefined;
      await disconnect();
    },
  };
}

function createAdminPool(kafka: Kafka) {
  let admin: Admin | undefined;
  const connection = createLazyConnection(
    async () => {
      admin = kafka.admin();
      await admin.connect();
    },
    async () => {
      await admin?.disconnect();
    },
  );
  return {
    async use<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
      await connection.open();
      try {
        return await fn(admin!);
      } catch (err) {
        // A failed call may have left a dead socket behind; reconnect next time.
        await connection.close().catch(() => {});
        throw err;
      }
    },
    close: () => connection.close(),
  };
}

/**
 * Right after a topic is created (or a broker restarts) its partitions may
 * have no leader yet, and kafkajs answers ListOffsets with a retriable
 * "not the leader" instead of waiting: ask again a few times, with fresh
 * metadata, before giving up.
 */
async function fetchTopicOffsets(admin: Admin, topic: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (err) {
      const retriable = (err as { retriable?: boolean }).retriable === true;
      if (!retriable || attempt >= 6) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
    }
  }
}

async function fetchLag(
  admin: Admin,
  groupId: string,
  topics: readonly string[] | undefined,
): Promise<PartitionLag[]> {
  const committed = await admin.fetchOffsets(
    topics === undefined ? { groupId } : { groupId, topics: [...topics] },
  );
  const lags: PartitionLag[] = [];
  for (const { topic, partitions } of committed) {
    const ends = await fetchTopicOffsets(admin, topic);
    for (const end of ends) {
      const raw = partitions.find((p) => p.partition === end.partition)?.offset;
      // kafkajs reports "-1" for a partition the group never committed on.
      const committedOffset = raw !== undefined && BigInt(raw) >= 0n ? raw : null;
      // A commit older than retention resumes at the low watermark, as a new group would.
      const low = BigInt(end.low);
      const from =
        committedOffset === null || BigInt(committedOffset) < low ? low : BigInt(committedOffset);
      const behind = BigInt(end.high) - from;
      lags.push({
        topic,
        partition: end.partition,
        committedOffset,
        highWatermark: end.high,
        lowWatermark: end.low,
        lag: Number(behind > 0n ? behind : 0n),
      });
    }
  }
  return lags.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

function toRecordBatch(batch: EachBatchPayload['batch']): RecordBatch {
  return {
    topic: batch.topic,
    partition: batch.partition,
    highWatermark: batch.highWatermark,
    records: batch.messages.map((m) => toEventRecord(batch.topic, batch.partition, m)),
  };
}

function createBatchControl(payload: EachBatchPayload, ephemeral: boolean): BatchControl {
  const { topic, partition } = payload.batch;
  let resolved: bigint | undefined;
  let committed: bigint | undefined;
  return {
    resolve(offset) {
      payload.resolveOffset(offset);
      resolved = BigInt(offset);
    },
    async commit() {
      if (ephemeral || resolved === undefined || resolved === committed) return;
      const next = resolved;
      // The batch's own commit path: unlike consumer.commitOffsets it still
      // works while the consumer is stopping, which is when close() needs it.
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic, partitions: [{ partition, offset: (next + 1n).toString() }] }],
      });
      committed = next;
    },
    heartbeat: () => payload.heartbeat(),
    isRunning: () => payload.isRunning(),
    isStale: () => payload.isStale(),
  };
}

function toKafkaMessage(record: OutgoingRecord) {
  return {
    key: record.key,
    value:
      record.value === null
        ? null
        : Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
    headers: { ...record.headers },
  };
}

function toEventRecord(topic: string, partition: number, message: KafkaMessage): EventRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key === null ? null : message.key.toString('utf8'),
    headers: headersToStrings(message.headers),
    value:
      message.value === null
        ? null
        : new Uint8Array(message.value.buffer, message.value.byteOffset, message.value.byteLength),
    timestamp: message.timestamp,
  };
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value !== undefined) out[name] = value.toString();
  }
  return out;
}

interface TopicGroup {
  readonly topic: string;
  readonly records: OutgoingRecord[];
}

function groupConsecutiveByTopic(records: readonly OutgoingRecord[]): TopicGroup[] {
  const groups: TopicGroup[] = [];
  for (const record of records) {
    const last = groups.at(-1);
    if (last && last.topic === record.topic) last.records.push(record);
    else groups.push({ topic: record.topic, records: [record] });
  }
  return groups;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  // The losing promise may still reject later; keep that from being unhandled.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
