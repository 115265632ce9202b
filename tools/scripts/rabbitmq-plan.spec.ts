import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
// The module is plain ESM for node; jest compiles it to CommonJS like our TypeScript.
import { planRabbitMq, queueIsRabbitMq } from './rabbitmq-plan.mjs';

const root = resolve(__dirname, '../..');

function listen(onData?: (socket: import('node:net').Socket) => void): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => (onData ? onData(socket) : socket.destroy()));
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

function portOf(server: Server): string {
  return String((server.address() as { port: number }).port);
}

function close(server: Server): Promise<void> {
  return new Promise((done) => server.close(() => done()));
}

describe('planRabbitMq', () => {
  // A port where nothing speaks AMQP: the plan then rests on the installation.
  let silent: Server;
  beforeAll(async () => {
    silent = await listen();
  });
  afterAll(() => close(silent));

  it("without RabbitMQ: gives the launcher's advice and does not wait for the subscription service", async () => {
    const plan = await planRabbitMq(root, {
      ...process.env,
      RABBITMQ_PORT: portOf(silent),
      RABBITMQ_SERVER: '/nonexistent/rabbitmq-server',
      QUEUE_URL: '',
    });
    expect(plan.missing).toBe(true);
    expect(plan.advice).toContain('RabbitMQ is not installed (no /nonexistent/rabbitmq-server)');
    expect(plan.advice).toContain('apt-get install rabbitmq-server');
    expect(plan.waiting).toEqual(['subscription-service']);
  });

  it('without RabbitMQ but with an SQS queue: waits for every service', async () => {
    const plan = await planRabbitMq(root, {
      ...process.env,
      RABBITMQ_PORT: portOf(silent),
      RABBITMQ_SERVER: '/nonexistent/rabbitmq-server',
      QUEUE_URL: 'http://127.0.0.1:9324/000000000000/subscription-deliveries',
    });
    expect(plan).toMatchObject({ missing: true, waiting: [] });
  });

  it('with rabbitmq-server installed: plans the normal start, starting nothing itself', async () => {
    // Any existing file stands in for the script; --check only looks for it.
    const plan = await planRabbitMq(root, {
      ...process.env,
      RABBITMQ_PORT: portOf(silent),
      RABBITMQ_SERVER: process.execPath,
    });
    expect(plan).toEqual({ missing: false, waiting: [] });
  });

  it('with a broker already answering (Docker, say) and nothing installed: plans the normal start', async () => {
    // The start of AMQP's connection.start frame: a method frame (type 1).
    const broker = await listen((socket) => socket.end(Buffer.from([1, 0, 0])));
    try {
      const plan = await planRabbitMq(root, {
        ...process.env,
        RABBITMQ_PORT: portOf(broker),
        RABBITMQ_SERVER: '/nonexistent/rabbitmq-server',
      });
      expect(plan).toEqual({ missing: false, waiting: [] });
    } finally {
      await close(broker);
    }
  });
});

describe('queueIsRabbitMq', () => {
  it('is true for the default and amqp URLs, false for SQS', () => {
    expect(queueIsRabbitMq({})).toBe(true);
    expect(queueIsRabbitMq({ QUEUE_URL: ' ' })).toBe(true);
    expect(queueIsRabbitMq({ QUEUE_URL: 'amqps://mq.internal:5671/?queue=jobs' })).toBe(true);
    expect(queueIsRabbitMq({ QUEUE_URL: 'http://127.0.0.1:9324/000000000000/jobs' })).toBe(false);
  });
});
