import { Partitioners, type Kafka } from 'kafkajs';
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
  const producer = options.kafka.producer({
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
    if (closeGroup.closed) throw new Error('event bus is closed');
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
