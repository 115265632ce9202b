export type {
  JobConsumer,
  JobHandler,
  JobOutcome,
  QueuedJob,
  ReceivedJob,
  WorkQueue,
} from './work-queue';
