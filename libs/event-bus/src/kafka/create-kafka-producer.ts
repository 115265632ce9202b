import { Partitioners, type Kafka, type Producer } from 'kafkajs';
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
   * batch: acknowledged and dropped. The chaos suite lost orders that way while
   * a broker was paused. A new id starts its numbers afresh; what the failed
   * request did write arrives twice, which the consumers' inbox absorbs.
   */
  function abandonSession(failed: Producer): void {
    if (failed !== producer) return; // another send has replaced it already
    producer = createSession();
    watch(producer);
    connection.reset();
    failed.disconnect().catch(() => undefined);
  }

  async function send(records: readonly OutgoingRecord[]) {
    if (closeGroup.closed) throw new Error('event bus is closed');
    await connection.open();
    const session = producer;
    const acks = [];
    try {
      // Runs of one topic go out as one request, in input order, so the
      // per-partition order of the input survives.
      for (const group of groupConsecutiveByTopic(records)) {
        const metadata = await session.send({
          topic: group.topic,
          acks: -1,
          messages: group.records.map(toKafkaMessage),
        });
        acks.push(...metadata);
      }
    } catch (err) {
      abandonSession(session);
      throw err;
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
