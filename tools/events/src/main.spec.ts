import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { OrderPlacedSchema, topics } from '@switchboard/contracts';
import { createEventBus, toDeadLetter, type EventRecord } from '@switchboard/event-bus';
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

/** A bus on a sales-orders topic of this run's own, so reruns and parallel suites never meet. */
function busOnFreshTopic(label: string) {
  const spec = {
    ...topics.salesOrders,
    name: `test.${randomUUID().slice(0, 8)}.${label}.sales.orders.v1`,
  };
  const bus = createEventBus({
    brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
    clientId: 'events-cli-test',
    logger: createLogger({ service: 'events-cli-test', level: 'error' }),
    source: '/switchboard/events-cli-test',
    topics: [spec],
  });
  return { spec, bus };
}

describe('events tail', () => {
  const { spec, bus } = busOnFreshTopic('cli');
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

describe('events dlq and lag', () => {
  const { spec, bus } = busOnFreshTopic('cli-dlq');
  afterAll(() => bus.close());

  /** Publishes an event to the topic and a dead letter of it to the twin, as the runtime would. */
  async function deadLetterOf(orderId: string, attempts: number): Promise<EventRecord> {
    const producer = bus.createProducer();
    const sent = await producer.publish(create(OrderPlacedSchema, { orderId, customerId: 'c' }), {
      headers: { traceparent: `tp-${orderId}` },
    });
    const [original] = (await readAll(spec.name)).filter(
      (r) => r.offset === sent.offset && r.partition === sent.partition,
    );
    await producer.publishRaw([
      toDeadLetter(original!, { attempts, error: `boom ${orderId}`, groupId: 'cli-test-group' }),
    ]);
    return original!;
  }

  async function readAll(topic: string): Promise<EventRecord[]> {
    const ends = await bus.topicOffsets(topic);
    const expected = ends.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
    const records: EventRecord[] = [];
    const consumer = bus.createConsumer({
      kind: 'record',
      groupId: `cli-test-reader-${randomUUID()}`,
      topics: [topic],
      ephemeral: true,
      onRecord: (r) => {
        records.push(r);
      },
    });
    await consumer.start();
    const deadline = Date.now() + 30_000;
    while (records.length < expected && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    await consumer.stop();
    return records;
  }

  const jsonLines = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('lists dead letters with their dlq_* headers, redrives each once, and remembers progress', async () => {
    await bus.ensureTopics();
    const originals = [await deadLetterOf('d-1', 5), await deadLetterOf('d-2', 0)];

    const listed = await runEvents(['dlq', 'list', spec.name]);
    expect(listed).toMatchObject({ code: 0, stderr: expect.stringContaining('2 dead letters') });
    const lines = jsonLines(listed.stdout).sort((a, b) =>
      String(a.key).localeCompare(String(b.key)),
    );
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      topic: `${spec.name}.dlq`,
      partition: expect.any(Number),
      offset: expect.any(String),
      key: 'd-1',
      ce_type: 'switchboard.order.v1.OrderPlaced',
      ce_id: originals[0]!.headers.ce_id,
      dlq_original_topic: spec.name,
      dlq_original_partition: String(originals[0]!.partition),
      dlq_original_offset: originals[0]!.offset,
      dlq_attempts: '5',
      dlq_error: 'boom d-1',
      dlq_failed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      dlq_consumer_group: 'cli-test-group',
      redriven: false,
    });
    expect(lines[1]).toMatchObject({ key: 'd-2', dlq_attempts: '0', redriven: false });
    // The .dlq name works as well.
    expect(jsonLines((await runEvents(['dlq', 'list', `${spec.name}.dlq`])).stdout)).toHaveLength(
      2,
    );

    const first = await runEvents(['dlq', 'redrive', spec.name]);
    expect(first).toMatchObject({
      code: 0,
      stdout:
        `redrove 2 dead letters from ${spec.name}.dlq\n` +
        '  2 for consumer group cli-test-group only\n',
    });
    const onTopic = await readAll(spec.name);
    expect(onTopic).toHaveLength(4); // the two originals and their two redriven copies
    for (const original of originals) {
      const copies = onTopic.filter((r) => r.headers.ce_id === original.headers.ce_id);
      expect(copies).toHaveLength(2);
      const copy = copies.find(
        (r) => r.offset !== original.offset || r.partition !== original.partition,
      )!;
      expect(copy.key).toBe(original.key);
      expect(copy.value).toEqual(original.value);
      // dlq_* gone, everything else (the trace header too) kept, and addressed to the group.
      expect(copy.headers).toEqual({ ...original.headers, redrive_group: 'cli-test-group' });
      expect(copy.partition).toBe(original.partition);
    }

    const again = await runEvents(['dlq', 'redrive', `${spec.name}.dlq`]);
    expect(again).toMatchObject({
      code: 0,
      stdout: `redrove 0 dead letters from ${spec.name}.dlq\n`,
    });
    expect(await readAll(spec.name)).toHaveLength(4);

    await deadLetterOf('d-3', 2);
    const marked = jsonLines((await runEvents(['dlq', 'list', spec.name])).stdout);
    expect(Object.fromEntries(marked.map((l) => [l.key, l.redriven]))).toEqual({
      'd-1': true,
      'd-2': true,
      'd-3': false,
    });
    const third = await runEvents(['dlq', 'redrive', spec.name]);
    expect(third.stdout).toBe(
      `redrove 1 dead letter from ${spec.name}.dlq\n` +
        '  1 for consumer group cli-test-group only\n',
    );
  }, 180_000);

  it('never redrives a dead letter whose original topic is another topic: skips and reports it', async () => {
    await bus.ensureTopics();
    // Whatever earlier tests left in this .dlq goes first, so the counts below are this test's.
    expect((await runEvents(['dlq', 'redrive', spec.name])).code).toBe(0);
    const other = `test.${randomUUID().slice(0, 8)}.cli-other.v1`;
    const original = await deadLetterOf('x-1', 1);
    // A letter in this .dlq claiming to come from elsewhere (forged, or misfiled by hand).
    const producer = bus.createProducer();
    const misfiled = toDeadLetter(
      { ...original, topic: other },
      { attempts: 1, error: 'elsewhere', groupId: 'cli-test-group' },
    );
    await producer.publishRaw([{ ...misfiled, topic: `${spec.name}.dlq`, key: 'x-2' }]);
    const before = (await readAll(spec.name)).length;

    const listed = jsonLines((await runEvents(['dlq', 'list', spec.name])).stdout);
    const forged = listed.find((l) => l.key === 'x-2')!;
    expect(forged).toMatchObject({
      redriven: false,
      redrive_refused: `dlq_original_topic is ${other}, not ${spec.name}`,
    });

    const run = await runEvents(['dlq', 'redrive', spec.name]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`redrove 1 dead letter from ${spec.name}.dlq\n`);
    expect(run.stdout).toContain(
      `skipped 1 dead letter of ${spec.name}.dlq, never produced:\n` +
        `  partition ${forged.partition} offset ${forged.offset}: ` +
        `dlq_original_topic is ${other}, not ${spec.name}\n`,
    );
    // Only x-1 came back; nothing reached the other topic (it does not even exist).
    const after = await readAll(spec.name);
    expect(after).toHaveLength(before + 1);
    expect(after.filter((r) => r.key === 'x-2')).toEqual([]);
    expect(await bus.listTopics()).not.toContain(other);
    // Reported once: the next run has nothing left to say about it.
    expect((await runEvents(['dlq', 'redrive', spec.name])).stdout).toBe(
      `redrove 0 dead letters from ${spec.name}.dlq\n`,
    );
  }, 180_000);

  it('prints committed offset, high watermark and lag per partition, and the total', async () => {
    await bus.ensureTopics();
    const groupId = `cli-lag-${randomUUID()}`;
    const producer = bus.createProducer();
    const keys = ['l-1', 'l-2'];
    for (const key of keys)
      await producer.publish(create(OrderPlacedSchema, { orderId: key, customerId: 'c' }));
    // A group that has consumed and committed everything published so far.
    let consumed = 0;
    const consumer = bus.createConsumer({
      kind: 'batch',
      groupId,
      topics: [spec.name],
      onBatch: async (batch, control) => {
        for (const r of batch.records) {
          if (r.key?.startsWith('l-')) consumed++;
          control.resolve(r.offset);
        }
        await control.commit();
      },
    });
    await consumer.start();
    const deadline = Date.now() + 30_000;
    // Caught up everywhere, not just past the two: earlier tests left records
    // on other partitions, and stopping before those are committed leaves lag.
    const caughtUp = async () =>
      consumed >= 2 && (await bus.consumerLag(groupId, [spec.name])).every((p) => p.lag === 0);
    while (!(await caughtUp()) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    await consumer.stop();
    const behind = await producer.publish(
      create(OrderPlacedSchema, { orderId: 'l-1', customerId: 'c' }),
    );
    await producer.publish(create(OrderPlacedSchema, { orderId: 'l-1', customerId: 'c' }));

    const { code, stdout, stderr } = await runEvents(['lag', groupId]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = jsonLines(stdout);
    expect(lines.at(-1)).toEqual({ group: groupId, total: 2 });
    const partitions = lines.slice(0, -1);
    expect(partitions).toHaveLength(spec.partitions);
    const lagging = partitions.find((l) => l.partition === behind.partition)!;
    expect(lagging).toEqual({
      topic: spec.name,
      partition: behind.partition,
      committed: behind.offset,
      high: String(BigInt(behind.offset) + 2n),
      lag: 2,
    });
    for (const line of partitions.filter((l) => l !== lagging)) expect(line.lag).toBe(0);

    const unknown = await runEvents(['lag', `no-such-group-${randomUUID()}`]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('has no committed offsets');
  }, 120_000);
});
