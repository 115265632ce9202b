export type {
  JobConsumer,
  JobHandler,
  JobOutcome,
  QueuedJob,
  ReceivedJob,
  WorkQueue,
} from './work-queue';
export type { DeadLetter, DeadLetterReader } from './dead-letter-reader';
export type { WorkQueueOptions } from './work-queue-options';
export { createWorkQueue, workQueueKind } from './create-work-queue';
export type { AmqpWorkQueueOptions } from './amqp/amqp-work-queue-options';
export { createAmqpWorkQueue } from './amqp/create-amqp-work-queue';
export type { SqsWorkQueueOptions } from './sqs/sqs-work-queue-options';
export { createSqsWorkQueue } from './sqs/create-sqs-work-queue';
export { redactUrl } from './redact-url';
