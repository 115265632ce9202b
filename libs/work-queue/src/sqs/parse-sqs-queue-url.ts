import { redactUrl } from '../redact-url';

const AWS_HOST = /^sqs[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

export interface SqsQueueTarget {
  /** Everything before the queue name: scheme, host, account. */
  readonly base: string;
  readonly name: string;
  /** Set for endpoints that are not AWS's own (ElasticMQ, LocalStack). */
  readonly endpoint?: string;
  readonly region?: string;
}

export function parseSqsQueueUrl(queueUrl: string): SqsQueueTarget {
  let url: URL;
  try {
    url = new URL(queueUrl);
  } catch {
    throw new Error(`SQS queue URL ${redactUrl(queueUrl)} is not a URL`);
  }
  const segments = url.pathname.split('/').filter(Boolean);
  const name = segments.at(-1);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || segments.length !== 2 || !name) {
    throw new Error(
      `SQS queue URL must look like http(s)://host[:port]/<account>/<queue name> (got ${redactUrl(queueUrl)})`,
    );
  }
  if (name.endsWith('.fifo')) {
    throw new Error(`FIFO queues are not supported by this work queue (${name})`);
  }
  if (!/^[A-Za-z0-9_-]{1,68}$/.test(name)) {
    // 80 characters is SQS's limit; the dead-letter queue adds 12.
    throw new Error(`SQS queue name must be 1-68 letters, digits, "-" or "_" (got "${name}")`);
  }
  const base = `${url.origin}/${segments[0]}`;
  const aws = AWS_HOST.exec(url.hostname);
  if (aws) return { base, name, region: aws[1] };
  return { base, name, endpoint: url.origin };
}
