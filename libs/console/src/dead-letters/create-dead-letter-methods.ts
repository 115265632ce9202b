import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  deadLetterTopicOf,
  ListDeadLettersResponseSchema,
  RedriveDeadLettersResponseSchema,
  DeadLetterTopicSchema,
  type DeadLetterTopic,
} from '@switchboard/contracts';
import {
  readDeadLetters,
  redriveDeadLetters,
  type EventBus,
  type ReadDeadLetter,
} from '@switchboard/event-bus';
import type { ConsoleKafkaOptions } from '../topics/console-kafka-options';
import { createConsoleEventBus } from '../topics/create-console-event-bus';
import { requireKafka } from '../topics/require-kafka';
import { requireTopic } from '../topics/require-topic';
import type { DeadLetterMethods } from './dead-letter-methods';
import { toDeadLetterMessage } from './to-dead-letter-message';

const DLQ_SUFFIX = deadLetterTopicOf('');
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;

/**
 * The console's Dead letters view: what `events dlq list` and `events dlq
 * redrive` do, through the same code in libs/event-bus. Who may redrive is
 * the console server's business (consoleAccessPolicy), not this part's.
 */
export function createDeadLetterMethods(options: ConsoleKafkaOptions): DeadLetterMethods {
  const bus = createConsoleEventBus(options);
  const { registry } = options;
  return {
    async listDeadLetters(request) {
      if (request.limit < 0 || request.limit > MAX_LIMIT) {
        throw new ConnectError(`limit must be 0 to ${MAX_LIMIT}`, Code.InvalidArgument);
      }
      const limit = request.limit || DEFAULT_LIMIT;
      let names: string[];
      if (request.topic !== '') {
        requireDeadLetterTopic(request.topic);
        await requireTopic(bus, request.topic);
        names = [request.topic];
      } else {
        await requireKafka(bus);
        names = (await bus.listTopics()).filter((t) => t.endsWith(DLQ_SUFFIX)).sort();
      }
      const topics = await Promise.all(
        names.map(async (name): Promise<DeadLetterTopic> => {
          const letters = await latestLetters(bus, name, limit);
          return create(DeadLetterTopicSchema, {
            name,
            letters: letters.map((l) => toDeadLetterMessage(l, registry)),
          });
        }),
      );
      return create(ListDeadLettersResponseSchema, { topics });
    },
    async redriveDeadLetters(request) {
      requireDeadLetterTopic(request.topic);
      await requireTopic(bus, request.topic);
      const summary = await redriveDeadLetters(bus, request.topic);
      return create(RedriveDeadLettersResponseSchema, {
        redriven: summary.redriven,
        refused: summary.skipped.map((s) =>
          toDeadLetterMessage(
            { record: s.record, redriven: false, redriveRefused: s.reason },
            registry,
          ),
        ),
      });
    },
    close: () => bus.close(),
  };
}

function requireDeadLetterTopic(topic: string): void {
  if (!topic.endsWith(DLQ_SUFFIX)) {
    throw new ConnectError(
      `${topic} is not a dead-letter topic; its letters are on ${deadLetterTopicOf(topic)}`,
      Code.InvalidArgument,
    );
  }
}

/** The `limit` latest letters of a topic, newest first, told apart across partitions by time. */
async function latestLetters(
  bus: EventBus,
  topic: string,
  limit: number,
): Promise<ReadDeadLetter[]> {
  const letters: ReadDeadLetter[] = [];
  await readDeadLetters(bus, topic, (letter) => void letters.push(letter), {
    lastPerPartition: limit,
    groupPrefix: 'switchboard-console-read',
  });
  return letters
    .sort(
      (a, b) =>
        Number(b.record.timestamp) - Number(a.record.timestamp) ||
        b.record.partition - a.record.partition ||
        Number(BigInt(b.record.offset) - BigInt(a.record.offset)),
    )
    .slice(0, limit);
}
