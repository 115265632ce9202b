// The README's webhook walkthrough, as a reader runs it, on each work queue:
// the stack `npm start` runs (RabbitMQ by default, then the SQS queue URL the
// README gives for ElasticMQ), the receiver started with the README's own
// command, and the README's grpcurl block read from README.md, so the text
// and the test cannot drift apart. Of two orders, only the one above the
// filter's total may reach the receiver, signed and verified.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { eventually } from '@switchboard/testing';
import type { ReceivedRequest } from '@switchboard/webhook-receiver';
import { grpcurl } from './grpcurl';
import { envBeforeNpmStart, readmeWalkthrough, runWalkthrough } from './readme-walkthrough';
import { startStack, type RunningStack } from './stack';

const root = resolve(__dirname, '../../..');
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const SUBSCRIPTION_ADDR = '127.0.0.1:50057';

type Json = Record<string, unknown>;

interface RunningReceiver {
  /** Every request it printed, one JSON line each, so far. */
  requests(): ReceivedRequest[];
  /** Its whole stdout and stderr so far, for failure messages. */
  output(): string;
  /** Ctrl-C to its process group, as in the reader's terminal; SIGKILL if it lingers. */
  stop(): Promise<void>;
}

/** The README's receiver command, run by bash in its own process group. */
async function startReceiver(command: string): Promise<RunningReceiver> {
  const child = spawn('bash', ['-c', command], {
    cwd: root,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((done) =>
    child.on('exit', (code) => {
      exitCode = code;
      done();
    }),
  );
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is gone already
    }
  };
  const stop = async () => {
    signalGroup('SIGINT');
    const killer = setTimeout(() => signalGroup('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  try {
    await eventually(
      async () => {
        if (exitCode !== undefined) {
          throw new Error(`the receiver exited (${exitCode}):\n${stdout}\n${stderr}`);
        }
        return stderr.includes('webhook-receiver: listening on');
      },
      120_000,
      'the receiver listening',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    requests: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as ReceivedRequest),
    output: () => `${stdout}\n${stderr}`,
    stop,
  };
}

/** True once `groupId` has committed past every record of `topic`. */
async function consumedToTheEnd(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return ends.every(({ partition, low, high }) => {
    const offset = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
    return Number(high) <= Math.max(Number(offset), Number(low));
  });
}

/**
 * Whether the service made its queue on the stack's ElasticMQ: it does so at
 * start when QUEUE_URL names SQS, and never otherwise (each stack has a fresh one).
 */
async function deliveryQueueOnElasticMq(): Promise<boolean> {
  const sqs = new SQSClient({
    endpoint: `http://127.0.0.1:${process.env['ELASTICMQ_PORT'] ?? '9324'}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'e2e', secretAccessKey: 'e2e' },
  });
  try {
    const { QueueUrls = [] } = await sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: 'subscription-deliveries' }),
    );
    return QueueUrls.some((url) => url.endsWith('/subscription-deliveries'));
  } finally {
    sqs.destroy();
  }
}

/** A grpcurl call that must succeed, its JSON answer parsed. */
function call(address: string, method: string, body: Json, token?: string): Json {
  const auth = token === undefined ? [] : ['-H', `authorization: Bearer ${token}`];
  const result = grpcurl(['-plaintext', ...auth, '-d', JSON.stringify(body), address, method]);
  if (result.code !== 0) throw new Error(`${method}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Json;
}

/** The compact JSON lines the walkthrough prints (jq -c), in order. */
function jsonLines(output: string): Json[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Json);
}

const receiverCommand = readmeWalkthrough('webhook-receiver').trim();
const secretFile = /--secret-file (\S+)/.exec(receiverCommand)?.[1];

const backends: { name: string; env: Record<string, string> }[] = [
  { name: 'RabbitMQ (the default QUEUE_URL)', env: {} },
  { name: 'SQS (ElasticMQ)', env: envBeforeNpmStart(readmeWalkthrough('webhooks-sqs')) },
];

describe.each(backends)("the README's webhook walkthrough on $name", ({ env }) => {
  let stack: RunningStack | undefined;
  let receiver: RunningReceiver | undefined;
  let admin: Admin | undefined;

  beforeAll(async () => {
    if (!secretFile)
      throw new Error(`no --secret-file in the README's command: ${receiverCommand}`);
    // A secret file left by an earlier run would be used until the walkthrough overwrites it.
    rmSync(secretFile, { force: true });
    stack = await startStack(240_000, env);
    receiver = await startReceiver(receiverCommand);
    admin = new Kafka({ clientId: 'e2e-webhooks', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await receiver?.stop();
    if (secretFile) rmSync(secretFile, { force: true });
    if (stack && stack.leftovers().length > 0) await stack.interrupt();
  });

  it('runs as written, and the receiver prints the matching order only, verified', async () => {
    const output = runWalkthrough(readmeWalkthrough('webhooks'));
    // The signing secret went to the file, not to the terminal.
    expect(output).not.toContain('whsec_');
    const lines = jsonLines(output);
    const subscription = lines[0]!;
    expect(subscription).toMatchObject({ sinkUrl: 'http://127.0.0.1:9400/' });
    const subscriptionId = subscription['subscriptionId'] as string;
    const orders = lines.filter((l) => l['orderId'] !== undefined);
    expect(orders.map((o) => o['total'])).toEqual([
      { currencyCode: 'EUR', amountMinor: '1290' },
      { currencyCode: 'EUR', amountMinor: '2580' },
    ]);
    const [small, large] = orders.map((o) => o['orderId'] as string);

    // Both orders have been through the matcher: whatever it was going to
    // match is in the deliveries now, and none can come later.
    await eventually(
      () => consumedToTheEnd(admin!, 'subscription-service', 'sales.orders.v1'),
      60_000,
      'subscription-service consumed sales.orders.v1 to the end',
    );
    const adminToken = call('127.0.0.1:50051', 'switchboard.auth.v1.AuthService/Login', {
      email: 'admin@switchboard.local',
      password: 'switchboard-admin',
    })['accessToken'] as string;
    const listed = call(
      SUBSCRIPTION_ADDR,
      'switchboard.subscription.v1.SubscriptionService/ListDeliveries',
      { subscription_id: subscriptionId },
      adminToken,
    )['deliveries'] as Json[];
    expect(listed).toHaveLength(1);
    const delivery = listed[0]!;
    expect(delivery).toMatchObject({
      subscriptionId,
      eventType: 'switchboard.order.v1.OrderPlaced',
      status: 'DELIVERY_STATUS_DELIVERED',
      lastHttpStatus: 200,
    });
    // What the walkthrough itself listed is the same delivery.
    expect(lines.at(-1)).toMatchObject({
      deliveryId: delivery['deliveryId'],
      status: 'DELIVERY_STATUS_DELIVERED',
    });

    const requests = receiver!.requests();
    expect(requests.filter((r) => r.method === 'OPTIONS')).toEqual([
      expect.objectContaining({ answered: 200, handshakeOrigin: 'switchboard.local' }),
    ]);
    // A retry would be allowed, under the same delivery id; one 200 in all.
    const posts = requests.filter((r) => r.method === 'POST');
    expect(posts.length).toBe(delivery['attempts']);
    expect(new Set(posts.map((r) => r.id))).toEqual(new Set([delivery['deliveryId']]));
    const delivered = posts.filter((r) => r.answered === 200);
    expect(delivered).toHaveLength(1);
    const post = delivered[0]!;
    expect(post).toMatchObject({
      answered: 200,
      verified: true,
      duplicate: false,
      mode: 'binary',
      id: delivery['deliveryId'],
    });
    expect(post.headers?.['webhook-id']).toBe(delivery['deliveryId']);
    expect(post.headers?.['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(post.event).toMatchObject({
      specversion: '1.0',
      type: 'switchboard.order.v1.OrderPlaced',
      source: '/switchboard/order-service',
      id: delivery['eventId'],
      datacontenttype: 'application/json',
      data: { orderId: large, total: { currencyCode: 'EUR', amountMinor: '2580' } },
    });
    expect(receiver!.output()).not.toContain(small!);
    // The backend the stack was started with carried the job.
    expect(await deliveryQueueOnElasticMq()).toBe(env['QUEUE_URL'] !== undefined);
  });

  it('stops on Ctrl-C and leaves no process behind', async () => {
    await receiver!.stop();
    const ended = await stack!.interrupt();
    expect(ended.code === 0 || ended.signal === 'SIGINT').toBe(true);
    expect(stack!.leftovers()).toEqual([]);
  });
});
