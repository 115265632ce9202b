import type { Logger } from '@switchboard/logger';

export interface SqsWorkQueueOptions {
  /**
   * The main queue's URL: https://sqs.<region>.amazonaws.com/<account>/<name>
   * on AWS, http://127.0.0.1:9324/000000000000/<name> on ElasticMQ. Credentials
   * come from the SDK's standard chain (AWS_ACCESS_KEY_ID and
   * AWS_SECRET_ACCESS_KEY, a profile, a role); the region from the AWS host
   * name, else AWS_REGION, else us-east-1.
   */
  readonly queueUrl: string;
  readonly logger?: Logger;
  /**
   * How long a received job stays invisible to other consumers; default 30 s.
   * It is extended while the handler runs, so this is how soon a job comes
   * back after its consumer died or its handler threw.
   */
  readonly visibilityTimeoutSeconds?: number;
  /** Long polling: how long a receive waits for a message, 0 to 20 s; default 20. */
  readonly waitTimeSeconds?: number;
  /**
   * Receives after which the redrive policy moves a job to the dead-letter
   * queue by itself (a handler that keeps crashing); default 25. Every retry
   * is a receive, so keep it above the handler's own attempt limit.
   */
  readonly maxDeliveries?: number;
  /** Aborts opening: the returned promise rejects at once and the client is destroyed. */
  readonly signal?: AbortSignal;
}
