import { createRegistry, type DescMessage, type Registry } from '@bufbuild/protobuf';
import {
  allTopics,
  deadLetterTopicOf,
  type EventSpec,
  type TopicSpec,
} from '@switchboard/contracts';

export interface RegisteredEvent {
  readonly topic: TopicSpec;
  readonly event: EventSpec;
}

/** Lookups over a list of topic specs: by event type for encoding and decoding. */
export interface EventRegistry {
  readonly topics: readonly TopicSpec[];
  /** The topic and key function for a protobuf type name, e.g. `switchboard.order.v1.OrderPlaced`. */
  byType(typeName: string): RegisteredEvent | undefined;
  /** The spec of a registered topic or of its `.dlq` twin. */
  topicByName(name: string): TopicSpec | undefined;
  /** Every event schema and its dependencies, for JSON printing of nested and Any fields. */
  readonly protobuf: Registry;
}

export function createEventRegistry(specs: readonly TopicSpec[] = allTopics): EventRegistry {
  const types = new Map<string, RegisteredEvent>();
  const names = new Map<string, TopicSpec>();
  const schemas: DescMessage[] = [];
  for (const topic of specs) {
    names.set(topic.name, topic);
    names.set(deadLetterTopicOf(topic.name), topic);
    for (const event of topic.events) {
      const typeName = event.schema.typeName;
      const owner = types.get(typeName);
      // One type on two topics would make publish ambiguous.
      if (owner && owner.topic.name !== topic.name) {
        throw new Error(`${typeName} is registered on both ${owner.topic.name} and ${topic.name}`);
      }
      types.set(typeName, { topic, event });
      schemas.push(event.schema);
    }
  }
  // Registering the files (not just the messages) brings in every type they
  // depend on, such as google.protobuf.Timestamp and shared messages.
  const protobuf = createRegistry(...new Set(schemas.map((s) => s.file)));
  return {
    topics: specs,
    byType: (typeName) => types.get(typeName),
    topicByName: (name) => names.get(name),
    protobuf,
  };
}
