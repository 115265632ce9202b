import { createWorkQueue, workQueueKind } from './create-work-queue';
import { parseSqsQueueUrl } from './sqs/parse-sqs-queue-url';

describe('workQueueKind', () => {
  it('picks RabbitMQ for amqp and amqps URLs', () => {
    expect(workQueueKind('amqp://guest:guest@127.0.0.1:5672/?queue=deliveries')).toBe('amqp');
    expect(workQueueKind('amqps://broker.example:5671/prod')).toBe('amqp');
  });

  it('picks SQS for ElasticMQ and AWS queue URLs', () => {
    expect(workQueueKind('http://127.0.0.1:9324/000000000000/deliveries')).toBe('sqs');
    expect(workQueueKind('https://sqs.eu-west-1.amazonaws.com/123456789012/deliveries')).toBe(
      'sqs',
    );
  });

  it('refuses anything else, saying what is accepted and hiding passwords', () => {
    expect(() => workQueueKind('kafka://127.0.0.1:9092')).toThrow(/unsupported scheme.*amqp:\/\//);
    expect(() => workQueueKind('not a url')).toThrow(/is not a URL/);
    expect(() => workQueueKind('http://127.0.0.1:9324/deliveries')).toThrow(
      /<account>\/<queue name>/,
    );
    let message = '';
    try {
      workQueueKind('redis://user:s3cret@127.0.0.1:6379');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/unsupported scheme/);
    expect(message).not.toContain('s3cret');
  });

  it('refuses an amqp URL that names no queue', async () => {
    await expect(createWorkQueue('amqp://127.0.0.1:1/')).rejects.toThrow(/names no queue/);
  });
});

describe('parseSqsQueueUrl', () => {
  it('uses the URL as the endpoint off AWS', () => {
    expect(parseSqsQueueUrl('http://127.0.0.1:9324/000000000000/jobs')).toEqual({
      base: 'http://127.0.0.1:9324/000000000000',
      name: 'jobs',
      endpoint: 'http://127.0.0.1:9324',
    });
  });

  it('takes the region from an AWS host name', () => {
    expect(parseSqsQueueUrl('https://sqs.eu-west-1.amazonaws.com/123456789012/jobs')).toEqual({
      base: 'https://sqs.eu-west-1.amazonaws.com/123456789012',
      name: 'jobs',
      region: 'eu-west-1',
    });
  });

  it('refuses FIFO queues and bad names', () => {
    expect(() => parseSqsQueueUrl('http://127.0.0.1:9324/0/jobs.fifo')).toThrow(/FIFO/);
    expect(() => parseSqsQueueUrl('http://127.0.0.1:9324/0/jo%20bs')).toThrow(/queue name/);
  });
});
