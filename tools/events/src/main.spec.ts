import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { OrderPlacedSchema, topics } from '@switchboard/contracts';
import { createEventBus } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';

// Runs the real CLI, exactly as `npm run events -- ...` does, against the
// broker that jest-kafka-setup.ts started.
const workspaceRoot = join(__dirname, '../../..');

function runEvents(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['tools/scripts/run-ts.mjs', 'tools/events/src/main.ts', ...args],
      { cwd: workspaceRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('events tail', () => {
  const spec = {
    ...topics.salesOrders,
    name: `test.${randomUUID().slice(0, 8)}.cli.sales.orders.v1`,
  };
  const bus = createEventBus({
    brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
    clientId: 'events-cli-test',
    logger: createLogger({ service: 'events-cli-test', level: 'error' }),
    source: '/switchboard/events-cli-test',
    topics: [spec],
  });
  afterAll(() => bus.close());

  it('prints each record as a JSON line, undecodable ones included, and exits after --max', async () => {
    await bus.ensureTopics();
    const producer = bus.createProducer();
    const sent = await producer.publish(
      create(OrderPlacedSchema, { orderId: 'o-cli', customerId: 'c-1' }),
    );
    await producer.publishRaw([
      { topic: spec.name, key: 'o-cli', headers: { ce_type: 'x' }, value: new Uint8Array([1, 2]) },
    ]);
    // A third record that --max 2 must leave unprinted.
    await producer.publish(create(OrderPlacedSchema, { orderId: 'o-cli', customerId: 'c-2' }));

    const { code, stdout, stderr } = await runEvents([
      'tail',
      spec.name,
      '--from-beginning',
      '--max',
      '2',
    ]);
    expect({ code, stderr }).toEqual({
      code: 0,
      stderr: expect.not.stringContaining('"level":"error"'),
    });
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      topic: spec.name,
      partition: sent.partition,
      offset: sent.offset,
      key: 'o-cli',
      headers: {
        ce_id: sent.id,
        ce_type: 'switchboard.order.v1.OrderPlaced',
        ce_specversion: '1.0',
      },
      type: 'switchboard.order.v1.OrderPlaced',
      payload: { orderId: 'o-cli', customerId: 'c-1' },
    });
    expect(lines[1]).toMatchObject({
      offset: String(BigInt(sent.offset) + 1n),
      error: 'missing_header: record has no ce_specversion header',
      value: Buffer.from([1, 2]).toString('base64'),
    });
  });

  it('fails clearly for a topic that does not exist', async () => {
    const { code, stdout, stderr } = await runEvents(['tail', 'no.such.topic.v1', '--max', '1']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('unknown topic no.such.topic.v1');
  });
});
