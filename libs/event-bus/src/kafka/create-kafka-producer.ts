import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { encodeEvent } from '../cloudevents/encode-event';
import type { EventRegistry } from '../create-event-registry';
import type { EventProducer } from '../event-bus';
import type { OutgoingRecord } from '../event-record';
import type { CloseGroup } from './create-close-group';
import { createLazyConnection } from './create-lazy-connection';
import { toKafkaMessage } from './to-kafka-message';

export interface KafkaProducerOptions {
  readonly kafka: Kafka;
  readonly registry: EventRegistry;
  /** CloudEvents `source` of what publish() frames, unless the call names another. */
  readonly source: string;
  /** The bus's producers and consumers: this one joins it until closed. */
  readonly closeGroup: CloseGroup;
}

export function createKafkaProducer(options: KafkaProducerOptions): EventProducer {
  const { registry, closeGroup } = options;
  const createSession = () =>
    options.kafka.producer({
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
  let producer = createSession();
  const connection = createLazyConnection(
    () => producer.connect(),
    () => producer.disconnect(),
  );
  const watch = (session: Producer) =>
    session.on(session.events.DISCONNECT, () => {
      if (session === producer) connection.reset();
    });
  watch(producer);

  /**
   * After a failed send, the next one goes out under a new producer id.
   * kafkajs gives a failed request's sequence numbers back, yet the broker may
   * have written it (a timeout, a leader that answered too late). Sending other
   * records under those numbers (the outbox's next batch, once another replica
   * has published these) makes the broker take them for a retry of the written
   * batch: acknowledged and dropped (tools/kafka/src/kafka-cluster.spec.ts
   * shows it with the leader's followers paused). A new id starts its numbers
   * afresh; what the failed request did write arrives twice, which the
   * consumers' inbox absorbs.
   */
  function abandonSession(failed: Producer): void {
    if (failed !== producer) return; // another send has replaced it already
    producer = createSession();
    watch(producer);
    connection.reset();
    failed.disconnect().catch(() => undefined);
  }

  /**
   * Each partition's records go out in a send of their own. Within one send,
   * kafkajs 2.2.4 remembers which brokers answered; when a retry finds a failed
   * partition's new leader among them, it sends nothing for that partition
   * and still resolves. A send that touches one partition cannot end that way.
   * The chaos suite lost OrderPlaced events to it while leaders moved.
   */
  async function send(records: readonly OutgoingRecord[]) {
    if (closeGroup.closed) throw new Error('event bus is closed');
    await connection.open();
    const session = producer;
    const sendGroup = (group: PartitionGroup) =>
      session.send({ topic: group.topic, acks: -1, messages: group.messages });
    try {
      const { partitioned, unpartitioned } = groupByPartition(records);
      // Partitions are independent: their sends run side by side.
      const acks = (await Promise.all(partitioned.map(sendGroup))).flat();
      for (const group of unpartitioned) acks.push(...(await sendGroup(group)));
      return acks;
    } catch (err) {
      abandonSession(session);
      throw err;
    }
  }

  /**
   * Records by topic and partition, each group in input order (so the order
   * of one key's records survives). The partition is the one kafkajs's
   * default partitioner picks for the key from the topic's partition count in
   * the registry (the count ensureTopics creates it with); a record of a topic
   * the registry does not know (or without a key) is a group of its own, and
   * those go out one after another.
   */
  function groupByPartition(records: readonly OutgoingRecord[]) {
    const groups = new Map<string, PartitionGroup>();
    const unpartitioned: PartitionGroup[] = [];
    for (const record of records) {
      const message = toKafkaMessage(record);
      const partitions = registry.topicByName(record.topic)?.partitions;
      if (partitions === undefined || message.key === null || message.key === undefined) {
        unpartitioned.push({ topic: record.topic, messages: [message] });
        continue;
      }
      const partition = partitionOf(record.topic, partitions, message);
      const id = `${record.topic}\u0000${partition}`;
      const group = groups.get(id);
      if (group) group.messages.push({ ...message, partition });
      else groups.set(id, { topic: record.topic, messages: [{ ...message, partition }] });
    }
    return { partitioned: [...groups.values()], unpartitioned };
  }

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
    close: closeGroup.track(() => connection.close()),
  };
}

interface PartitionGroup {
  readonly topic: string;
  readonly messages: Message[];
}

const defaultPartitioner = Partitioners.DefaultPartitioner();

/** The partition kafkajs's default (Java-compatible murmur2) partitioner gives a keyed message. */
function partitionOf(topic: string, partitions: number, message: Message): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [],
    isr: [],
    partitionErrorCode: 0,
  }));
  return defaultPartitioner({ topic, partitionMetadata, message });
}
