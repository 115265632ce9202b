export type { ConsoleMethods } from './console-methods';
export type { ConsoleTarget } from './console-target';
export type { ConsoleKafkaOptions } from './topics/console-kafka-options';
export { createTopicMethods } from './topics/create-topic-methods';
export type { TopicMethods } from './topics/topic-methods';
export { createDeadLetterMethods } from './dead-letters/create-dead-letter-methods';
export type { DeadLetterMethods } from './dead-letters/dead-letter-methods';
