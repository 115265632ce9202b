import { Code, ConnectError } from '@connectrpc/connect';
import type { EventBus } from '@switchboard/event-bus';
import { requireKafka } from './require-kafka';

/** Kafka's own limit on a topic name, and the characters it allows. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** INVALID_ARGUMENT for a name Kafka would never accept, UNAVAILABLE without a broker, NOT_FOUND for a topic it does not have. */
export async function requireTopic(bus: EventBus, topic: string): Promise<void> {
  if (!TOPIC_NAME.test(topic)) {
    throw new ConnectError(
      `topic must be 1 to 249 of a-z A-Z 0-9 . _ -, got ${JSON.stringify(topic.slice(0, 300))}`,
      Code.InvalidArgument,
    );
  }
  await requireKafka(bus);
  if (!(await bus.listTopics()).includes(topic)) {
    throw new ConnectError(`unknown topic ${topic}`, Code.NotFound);
  }
}
