import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  deadLetterTopicOf,
  ListTopicsResponseSchema,
  TopicSchema,
  type Topic,
} from '@switchboard/contracts';
import type { TopicOverview } from '@switchboard/event-bus';
import type { ConsoleKafkaOptions } from './console-kafka-options';
import { createConsoleEventBus } from './create-console-event-bus';
import { requireKafka } from './require-kafka';
import { requireTopic } from './require-topic';
import { tailTopic } from './tail-topic';
import type { TopicMethods } from './topic-methods';

/** Where Kafka keeps group offsets: its records are not events, and its lag means nothing here. */
const HIDDEN_TOPICS = new Set(['__consumer_offsets']);
const DEFAULT_TAIL = 20;
const MAX_TAIL = 1_000;

/** The console's Topics view: every topic with its offsets and lag, and a live tail. */
export function createTopicMethods(options: ConsoleKafkaOptions): TopicMethods {
  const bus = createConsoleEventBus(options);
  return {
    async listTopics() {
      await requireKafka(bus);
      const overviews = await bus.describeTopics();
      return create(ListTopicsResponseSchema, {
        topics: overviews.filter((t) => !HIDDEN_TOPICS.has(t.topic)).map(toTopic),
      });
    },
    async *tailTopic(request, ctx) {
      if (request.last < 0 || request.last > MAX_TAIL) {
        throw new ConnectError(`last must be 0 to ${MAX_TAIL}`, Code.InvalidArgument);
      }
      await requireTopic(bus, request.topic);
      yield* tailTopic({
        bus,
        registry: options.registry,
        topic: request.topic,
        last: request.last || DEFAULT_TAIL,
        signal: ctx.signal,
      });
    },
    close: () => bus.close(),
  };
}

const DLQ_SUFFIX = deadLetterTopicOf('');

function toTopic(overview: TopicOverview): Topic {
  return create(TopicSchema, {
    name: overview.topic,
    deadLetter: overview.topic.endsWith(DLQ_SUFFIX),
    partitions: overview.partitions.map((p) => ({
      partition: p.partition,
      startOffset: BigInt(p.low),
      endOffset: BigInt(p.high),
    })),
    groups: overview.groups.map((group) => ({
      groupId: group.groupId,
      totalLag: BigInt(group.partitions.reduce((sum, p) => sum + p.lag, 0)),
      partitions: group.partitions.map((p) => ({
        partition: p.partition,
        committedOffset: p.committedOffset === null ? -1n : BigInt(p.committedOffset),
        lag: BigInt(p.lag),
      })),
    })),
  });
}
