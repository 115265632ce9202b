import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { create } from '@bufbuild/protobuf';
import {
  OrderCancelledSchema,
  OrderPlacedSchema,
  PostCreatedSchema,
  topics,
  type TopicSpec,
} from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import { sql } from '@switchboard/storage';
import { freePort, startLocalBroker, testDatabaseUrl } from '@switchboard/testing';
import {
  createEventBus,
  createInboxConsumer,
  deadLetterHeaders,
  REDRIVE_GROUP_HEADER,
  on,
  onBatch,
  UnprocessableEventError,
  type EventBus,
  type InboxConsumer,
  type InboxConsumerOptions,
  type PublishedEvent,
} from '../index';
import { numberedEvents, quietLogger } from '../testing/outbox-fixture';
import {
  countEffects,
  effectSequences,
  eventually,
  INBOX_TEST_SOURCE,
  inboxTestBus,
  inboxTestTopic,
  openInboxStore,
  readTopic,
  recordEffect,
  type Backend,
  type InboxStore,
  type InboxTestDatabase,
} from '../testing/inbox-fixture';

const logger = quietLogger();
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const placed = (orderId: string, seq = 0) =>
  create(OrderPlacedSchema, { orderId, customerId: String(seq) });

type Options = Partial<InboxConsumerOptions<InboxTestDatabase>>;

describe.each<Backend>(['postgres'])('inbox consumer on %s', (backend) => {
  let store: InboxStore;
  let spec: TopicSpec;
  let bus: EventBus;
  const consumers: InboxConsumer[] = [];

  function consumer(options: Options = {}): InboxConsumer {
    const c = createInboxConsumer<InboxTestDatabase>({
      storage: store.storage,
      bus,
      logger,
      groupId: `inbox-${backend}-${randomUUID().slice(0, 8)}`,
      subscriptions: [on(OrderPlacedSchema, recordEffect)],
      retryBackoffMs: { initial: 20, max: 200 },
      lagLogIntervalMs: 0,
      ...options,
    });
    consumers.push(c);
    return c;
  }

  const effects = () => countEffects(store.storage);

  beforeEach(async () => {
    store = await openInboxStore(backend, logger);
    spec = inboxTestTopic(backend);
    bus = inboxTestBus(logger, spec);
    await bus.ensureTopics();
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close()));
    await bus.close();
    await store.dispose();
  });

  it('applies an event delivered twice with the same ce_id once, and runs afterCommit once', async () => {
    const producer = bus.createProducer();
    const id = randomUUID();
    await producer.publish(placed('o-1'), { id });
    await producer.publish(placed('o-1'), { id });
    await producer.publish(placed('o-1', 1));
    const pushed: string[] = [];
    const c = consumer({
      subscriptions: [
        on(OrderPlacedSchema, async (message, ctx) => {
          await recordEffect(message, ctx);
          ctx.afterCommit(() => pushed.push(ctx.event.id));
        }),
      ],
    });
    await c.start();
    await eventually(async () => (await effects()).events === 2, 30_000, 'two effects');
    await eventually(async () => (await c.lag()).every((p) => p.lag === 0), 10_000, 'lag 0');

    expect(await effects()).toEqual({ rows: 2, events: 2 });
    expect(c.status()).toMatchObject({ handled: 2, duplicates: 1, deadLettered: 0 });
    expect(pushed.filter((p) => p === id)).toHaveLength(1);
    expect(pushed).toHaveLength(2);
    const inbox = await store.storage.db.selectFrom('inbox').selectAll().execute();
    expect(inbox.map((r) => r.event_id)).toContain(id);
    expect(inbox[0]).toMatchObject({ topic: spec.name, type: 'switchboard.order.v1.OrderPlaced' });
  });

  it('dead-letters undecodable records unchanged with dlq_* headers and handles the next event', async () => {
    const producer = bus.createProducer();
    const ce = {
      ce_specversion: '1.0',
      ce_id: 'poison-1',
      ce_source: INBOX_TEST_SOURCE,
      'content-type': 'application/protobuf',
      ce_type: 'switchboard.order.v1.OrderPlaced',
    };
    const garbage = new Uint8Array([0x0f, 0xff, 0xff]);
    await producer.publishRaw([
      { topic: spec.name, key: 'k-1', headers: { ...ce, traceparent: 'tp' }, value: garbage },
      { topic: spec.name, key: 'k-1', headers: {}, value: new Uint8Array([1, 2, 3]) },
    ]);
    const good = await producer.publish(placed('k-1', 7));
    const c = consumer({ groupId: `poison-${randomUUID()}` });
    await c.start();
    await eventually(async () => (await effects()).events === 1, 30_000, 'the good event');
    expect(c.status()).toMatchObject({ handled: 1, deadLettered: 2 });

    const letters = await readTopic(bus, `${spec.name}.dlq`);
    expect(letters).toHaveLength(2);
    letters.sort(
      (a, b) => Number(a.headers.dlq_original_offset) - Number(b.headers.dlq_original_offset),
    );
    const [first, second] = letters;
    expect(first!.key).toBe('k-1');
    expect(first!.value).toEqual(garbage);
    expect(first!.headers).toMatchObject({
      ...ce,
      traceparent: 'tp',
      [deadLetterHeaders.originalTopic]: spec.name,
      [deadLetterHeaders.originalPartition]: String(good.partition),
      [deadLetterHeaders.originalOffset]: String(BigInt(good.offset) - 2n),
      [deadLetterHeaders.attempts]: '0',
      [deadLetterHeaders.consumerGroup]: c.status().groupId,
    });
    expect(first!.headers.dlq_error).toMatch(/^malformed_payload: /);
    expect(Date.parse(first!.headers.dlq_failed_at!)).toBeGreaterThan(Date.now() - 60_000);
    expect(second!.headers.dlq_error).toBe('missing_header: record has no ce_specversion header');
    expect(second!.value).toEqual(new Uint8Array([1, 2, 3]));
    await eventually(async () => (await c.lag()).every((p) => p.lag === 0), 10_000, 'lag 0');
  });

  it('skips types it does not subscribe to, known or not, and still advances its offsets', async () => {
    const producer = bus.createProducer();
    await producer.publish(create(OrderCancelledSchema, { orderId: 's-1', customerId: 'c' }));
    await producer.publishRaw([
      {
        topic: spec.name,
        key: 's-1',
        headers: { ce_specversion: '1.0', ce_type: 'switchboard.future.v1.Thing', ce_id: 'f-1' },
        value: new Uint8Array([9]),
      },
    ]);
    await producer.publish(placed('s-1'));
    const c = consumer();
    await c.start();
    await eventually(async () => (await effects()).events === 1, 30_000, 'the subscribed event');
    await eventually(async () => (await c.lag()).every((p) => p.lag === 0), 10_000, 'lag 0');
    expect(c.status()).toMatchObject({ handled: 1, skipped: 2, deadLettered: 0 });
    expect(await readTopic(bus, `${spec.name}.dlq`)).toEqual([]);
  });

  it('dead-letters a record from a source the registry does not allow, before any handler runs', async () => {
    const producer = bus.createProducer();
    const forged = await producer.publish(placed('src-1', 0), {
      source: '/switchboard/intruder',
      headers: { traceparent: 'tp-forged' },
    });
    const good = await producer.publish(placed('src-1', 1));
    const [original] = (await readTopic(bus, spec.name)).filter((r) => r.offset === good.offset);
    const { ce_source: _dropped, ...sourceless } = original!.headers;
    await producer.publishRaw([
      {
        topic: spec.name,
        key: 'src-1',
        headers: { ...sourceless, ce_id: 'no-source' },
        value: original!.value,
      },
    ]);
    const seen: string[] = [];
    const c = consumer({
      groupId: `source-${randomUUID()}`,
      subscriptions: [
        on(OrderPlacedSchema, async (message, ctx) => {
          seen.push(ctx.event.id);
          await recordEffect(message, ctx);
        }),
      ],
    });
    await c.start();
    await eventually(async () => (await effects()).events === 1, 30_000, 'the good event');
    await eventually(async () => (await c.lag()).every((p) => p.lag === 0), 10_000, 'lag 0');
    // Run or one by one, the handler only ever saw the event from the allowed source.
    expect(seen).toEqual([good.id]);
    expect(c.status()).toMatchObject({ handled: 1, deadLettered: 2, retried: 0 });
    const inbox = await store.storage.db.selectFrom('inbox').select('event_id').execute();
    expect(inbox.map((r) => r.event_id)).toEqual([good.id]);

    const letters = await readTopic(bus, `${spec.name}.dlq`);
    const byId = new Map(letters.map((l) => [l.headers.ce_id, l]));
    expect(byId.get(forged.id)!.headers).toMatchObject({
      ce_source: '/switchboard/intruder',
      traceparent: 'tp-forged',
      [deadLetterHeaders.originalTopic]: spec.name,
      [deadLetterHeaders.originalOffset]: forged.offset,
      [deadLetterHeaders.attempts]: '0',
      [deadLetterHeaders.consumerGroup]: c.status().groupId,
      [deadLetterHeaders.error]:
        'forbidden_source: switchboard.order.v1.OrderPlaced from /switchboard/intruder is refused: ' +
        `only ${INBOX_TEST_SOURCE} publishes it`,
    });
    expect(byId.get(forged.id)!.value).toEqual(
      (await readTopic(bus, spec.name)).find((r) => r.headers.ce_id === forged.id)!.value,
    );
    expect(byId.get('no-source')!.headers[deadLetterHeaders.error]).toBe(
      'missing_header: record has no ce_source header',
    );
  });

  it('dead-letters an event type that belongs on another topic, even from its own source', async () => {
    const posts: TopicSpec = {
      ...topics.socialPosts,
      name: `${spec.name}.posts`,
      events: topics.socialPosts.events.map((e) => ({ ...e, source: INBOX_TEST_SOURCE })),
    };
    const twoTopics = createEventBus({
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      clientId: 'inbox-test',
      source: INBOX_TEST_SOURCE,
      logger,
      topics: [spec, posts],
    });
    try {
      await twoTopics.ensureTopics();
      const producer = twoTopics.createProducer();
      const post = create(PostCreatedSchema, { postId: 'p-1', authorId: 'wt-1', text: 'hi' });
      const onItsTopic = await producer.publish(post);
      // The same event, framed correctly, but written onto the orders topic.
      const [framed] = await readTopic(twoTopics, posts.name);
      await producer.publishRaw([{ ...framed!, topic: spec.name, key: 'wt-1' }]);
      await producer.publish(placed('wt-1', 1));
      const posted: string[] = [];
      const c = createInboxConsumer<InboxTestDatabase>({
        storage: store.storage,
        bus: twoTopics,
        logger,
        groupId: `wrong-topic-${randomUUID()}`,
        subscriptions: [
          on(OrderPlacedSchema, recordEffect),
          on(PostCreatedSchema, async (_message, ctx) => {
            posted.push(`${ctx.event.record.topic}/${ctx.event.id}`);
          }),
        ],
        retryBackoffMs: { initial: 20, max: 200 },
        lagLogIntervalMs: 0,
      });
      consumers.push(c);
      await c.start();
      await eventually(async () => (await effects()).events === 1, 30_000, 'the order');
      await eventually(async () => posted.length === 1, 30_000, 'the post on its own topic');
      await eventually(async () => (await c.lag()).every((p) => p.lag === 0), 10_000, 'lag 0');
      expect(posted).toEqual([`${posts.name}/${onItsTopic.id}`]);
      const [letter, ...more] = await readTopic(twoTopics, `${spec.name}.dlq`);
      expect(more).toEqual([]);
      expect(letter!.headers).toMatchObject({
        ce_id: onItsTopic.id,
        [deadLetterHeaders.attempts]: '0',
        [deadLetterHeaders.error]: `wrong_topic: switchboard.post.v1.PostCreated belongs on ${posts.name}, not on ${spec.name}`,
      });
    } finally {
      await Promise.all(consumers.splice(0).map((c) => c.close()));
      await twoTopics.close();
    }
  });

  it.each([1, 500])(
    'skips a record redriven for another group: no handler, no inbox row (runs of %i)',
    async (maxEventsPerTransaction) => {
      const groupId = `redriven-${randomUUID()}`;
      const producer = bus.createProducer();
      const theirs = await producer.publish(placed('rd-1', 0), {
        headers: { [REDRIVE_GROUP_HEADER]: 'some-other-group' },
      });
      const ours = await producer.publish(placed('rd-1', 1), {
        headers: { [REDRIVE_GROUP_HEADER]: groupId },
      });
      const plain = await producer.publish(placed('rd-1', 2));
      const c = consumer({ groupId, maxEventsPerTransaction });
      await c.start();
      await eventually(async () => (await effects()).events === 2, 30_000, 'two effects');
      await eventually(async () => (await c.lag()).every((p) => p.lag === 0), 10_000, 'lag 0');
      expect(c.status()).toMatchObject({ handled: 2, skipped: 1, deadLettered: 0 });
      const inbox = await store.storage.db.selectFrom('inbox').select('event_id').execute();
      expect(inbox.map((r) => r.event_id).sort()).toEqual([ours.id, plain.id].sort());
      expect(inbox.map((r) => r.event_id)).not.toContain(theirs.id);
      expect(await effectSequences(store.storage)).toEqual(new Map([['rd-1', [1, 2]]]));
    },
  );

  it('reports its lag per partition through lag() and in a periodic log line', async () => {
    const lines: Record<string, unknown>[] = [];
    const capture = createLogger({
      service: 'lag-test',
      // debug: the quiet repeats of "caught up" are visible to the test, at debug.
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _enc, cb) {
          for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
          cb();
        },
      }),
    });
    const producer = bus.createProducer();
    const sent = [
      await producer.publish(placed('lag-1', 0)),
      await producer.publish(placed('lag-1', 1)),
    ];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const c = consumer({
      logger: capture,
      lagLogIntervalMs: 200,
      commitIntervalMs: 0,
      subscriptions: [
        on(OrderPlacedSchema, async (message, ctx) => {
          await recordEffect(message, ctx);
          if (message.customerId === '1') await gate; // hold the second: lag 1
        }),
      ],
    });
    await c.start();
    const partition = sent[0]!.partition;
    try {
      await eventually(
        async () => (await c.lag()).find((p) => p.partition === partition)?.lag === 1,
        30_000,
        'lag 1',
      );
      const logged = () =>
        lines.filter((l) => l.msg === 'consumer lag' && l.total === 1) as {
          lag: {
            topic: string;
            partition: number;
            committed: string | null;
            high: string;
            lag: number;
          }[];
        }[];
      await eventually(() => logged().length > 0, 10_000, 'a lag log line');
      expect(logged()[0]!.lag).toContainEqual({
        topic: spec.name,
        partition,
        committed: sent[1]!.offset,
        high: String(BigInt(sent[1]!.offset) + 1n),
        lag: 1,
      });
      expect(logged()[0]!.lag).toHaveLength(spec.partitions);
    } finally {
      release();
    }
    await eventually(async () => (await c.lag()).every((p) => p.lag === 0), 10_000, 'lag 0');
    // Caught up: said once at info, then only at debug while nothing changes.
    const caughtUp = (level: string) =>
      lines.filter((l) => l.msg === 'consumer lag' && l.total === 0 && l.level === level).length;
    await eventually(() => caughtUp('debug') >= 2, 10_000, 'two quiet lag readings');
    expect(caughtUp('info')).toBe(1);
  });

  it('retries a failing handler with back-off and applies it once when it recovers', async () => {
    await bus.createProducer().publish(placed('r-1'));
    const attempts: number[] = [];
    const c = consumer({
      maxAttempts: 5,
      subscriptions: [
        on(OrderPlacedSchema, async (message, ctx) => {
          attempts.push(Date.now());
          // The effect is written before the failure: a rollback must undo it.
          await recordEffect(message, ctx);
          if (attempts.length <= 3) throw new Error(`transient failure ${attempts.length}`);
        }),
      ],
    });
    await c.start();
    await eventually(async () => (await effects()).events === 1, 30_000, 'the effect');
    await eventually(async () => (await c.lag()).every((p) => p.lag === 0), 10_000, 'lag 0');
    expect(attempts).toHaveLength(4);
    expect(await effects()).toEqual({ rows: 1, events: 1 });
    expect(c.status()).toMatchObject({ handled: 1, retried: 3, deadLettered: 0 });
    // 20, 40, 80 ms: growing gaps.
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(15);
    expect(gaps[2]).toBeGreaterThanOrEqual(70);
    expect(await readTopic(bus, `${spec.name}.dlq`)).toEqual([]);
  });

  it.each([
    ['in runs of up to 10', 10],
    ['one per transaction', 1],
  ])(
    'handles a backlog %s, and a run with a failing handler again one event at a time',
    async (_label, maxEventsPerTransaction) => {
      const producer = bus.createProducer();
      // One key, so the whole backlog is one partition and arrives in few batches.
      for (const seq of range(40)) await producer.publish(placed('run-1', seq));
      const transactions: string[] = [];
      const failed = new Set<number>();
      const pushed: number[] = [];
      const c = consumer({
        maxEventsPerTransaction,
        subscriptions: [
          on(OrderPlacedSchema, async (message, ctx) => {
            const seq = Number(message.customerId);
            const { rows } = await sql<{
              txid: string;
            }>`select txid_current()::text as txid`.execute(ctx.trx);
            transactions.push(rows[0]!.txid);
            await recordEffect(message, ctx);
            ctx.afterCommit(() => pushed.push(seq));
            // Fails once, after earlier events of its run wrote their effects:
            // the rollback must undo those, and they must then apply once.
            if (seq === 25 && !failed.has(seq)) {
              failed.add(seq);
              throw new Error('transient failure of event 25');
            }
          }),
        ],
      });
      await c.start();
      await eventually(async () => (await effects()).events === 40, 30_000, 'forty effects');
      await eventually(async () => (await c.lag()).every((p) => p.lag === 0), 10_000, 'lag 0');

      expect(await effects()).toEqual({ rows: 40, events: 40 });
      // The failure inside a run counts as event 25's first attempt.
      expect(c.status()).toMatchObject({ handled: 40, retried: 1, duplicates: 0, deadLettered: 0 });
      expect([...pushed].sort((a, b) => a - b)).toEqual(range(40));
      const sequences = await effectSequences(store.storage);
      expect(sequences.get('run-1')).toEqual(range(40));
      const distinct = new Set(transactions).size;
      if (maxEventsPerTransaction === 1) {
        // 40 events, plus event 25's second attempt.
        expect(distinct).toBe(41);
      } else {
        // Runs 0–9 and 10–19 commit; run 20–29 rolls back at 25; then 20–24
        // as a run, 25 alone, 26–35 and 36–39: 7 transactions, 46 handler
        // calls (a few more if Kafka splits the backlog into more batches).
        expect(distinct).toBeGreaterThanOrEqual(7);
        expect(distinct).toBeLessThanOrEqual(12);
        expect(transactions.length).toBeGreaterThan(40);
        expect(transactions.length).toBeLessThanOrEqual(50);
      }
    },
  );

  it('ends a run after 250 ms, so a slow handler does not hold one transaction for the batch', async () => {
    const producer = bus.createProducer();
    for (const seq of range(8)) await producer.publish(placed('slow-1', seq));
    const transactions: string[] = [];
    const c = consumer({
      subscriptions: [
        on(OrderPlacedSchema, async (message, ctx) => {
          const { rows } = await sql<{ txid: string }>`select txid_current()::text as txid`.execute(
            ctx.trx,
          );
          transactions.push(rows[0]!.txid);
          await recordEffect(message, ctx);
          await new Promise((r) => setTimeout(r, 100));
        }),
      ],
    });
    await c.start();
    await eventually(async () => (await effects()).events === 8, 30_000, 'eight effects');
    expect(await effects()).toEqual({ rows: 8, events: 8 });
    expect(transactions).toHaveLength(8);
    // 100 ms each: a run closes after its third event at the latest, so eight
    // events need at least three transactions (one run would make it one).
    expect(new Set(transactions).size).toBeGreaterThanOrEqual(3);
    expect((await effectSequences(store.storage)).get('slow-1')).toEqual(range(8));
  });

  it('gives an onBatch handler runs of events, and single events after a batch fails', async () => {
    const producer = bus.createProducer();
    for (const seq of range(30)) await producer.publish(placed('batch-1', seq));
    const sizes: number[] = [];
    let failOnce = true;
    const c = consumer({
      maxEventsPerTransaction: 10,
      subscriptions: [
        onBatch(OrderPlacedSchema, async (items, ctx) => {
          sizes.push(items.length);
          await ctx.trx
            .insertInto('effects')
            .values(
              items.map(({ message, event }) => ({
                event_id: event.id,
                order_id: message.orderId,
                seq: Number(message.customerId),
              })),
            )
            .execute();
          // The second run fails after writing: its rows must roll back, and
          // its events then come one at a time.
          if (items.some((i) => i.message.customerId === '15') && failOnce) {
            failOnce = false;
            throw new Error('batch failure');
          }
        }),
      ],
    });
    await c.start();
    await eventually(async () => (await effects()).events === 30, 30_000, 'thirty effects');
    await eventually(async () => (await c.lag()).every((p) => p.lag === 0), 10_000, 'lag 0');
    expect(await effects()).toEqual({ rows: 30, events: 30 });
    expect((await effectSequences(store.storage)).get('batch-1')).toEqual(range(30));
    expect(c.status()).toMatchObject({ handled: 30, retried: 0, deadLettered: 0 });
    expect(Math.max(...sizes)).toBe(10);
    // The failed batch's ten events, then one call each.
    expect(sizes.filter((n) => n === 1).length).toBeGreaterThanOrEqual(10);
  });

  it('dead-letters the original record after maxAttempts and moves on to the next event', async () => {
    const producer = bus.createProducer();
    const bad = await producer.publish(placed('f-1', 0), { headers: { traceparent: 'tp-bad' } });
    await producer.publish(placed('f-1', 1));
    let calls = 0;
    const c = consumer({
      maxAttempts: 3,
      subscriptions: [
        on(OrderPlacedSchema, async (message, ctx) => {
          if (message.customerId === '0') {
            calls++;
            // Looks like a connection error, but the database is fine: it must count.
            const err = new Error(`connect ECONNREFUSED 127.0.0.1:1 ${'x'.repeat(3_000)}`);
            throw Object.assign(err, { code: 'ECONNREFUSED' });
          }
          await recordEffect(message, ctx);
        }),
      ],
    });
    await c.start();
    await eventually(async () => (await effects()).events === 1, 30_000, 'the next event');
    await eventually(async () => (await c.lag()).every((p) => p.lag === 0), 10_000, 'lag 0');
    expect(calls).toBe(3);
    expect(c.status()).toMatchObject({ handled: 1, retried: 2, deadLettered: 1 });

    const [letter, ...more] = await readTopic(bus, `${spec.name}.dlq`);
    expect(more).toEqual([]);
    expect(letter!.key).toBe('f-1');
    expect(letter!.headers).toMatchObject({
      ce_id: bad.id,
      traceparent: 'tp-bad',
      dlq_original_topic: spec.name,
      dlq_original_partition: String(bad.partition),
      dlq_original_offset: bad.offset,
      dlq_attempts: '3',
    });
    expect(letter!.headers.dlq_error).toMatch(/^connect ECONNREFUSED 127\.0\.0\.1:1 x+…$/);
    expect(Buffer.byteLength(letter!.headers.dlq_error!)).toBeLessThanOrEqual(1024);
  });

  it('dead-letters an UnprocessableEventError at once, without retries', async () => {
    const producer = bus.createProducer();
    const bad = await producer.publish(placed('u-1', 0));
    await producer.publish(placed('u-1', 1));
    let calls = 0;
    const c = consumer({
      maxAttempts: 5,
      subscriptions: [
        on(OrderPlacedSchema, async (message, ctx) => {
          if (message.customerId === '0') {
            calls++;
            throw new UnprocessableEventError('total disagrees with lines');
          }
          await recordEffect(message, ctx);
        }),
      ],
    });
    await c.start();
    await eventually(async () => (await effects()).events === 1, 30_000, 'the next event');
    expect(calls).toBe(1);
    expect(c.status()).toMatchObject({ handled: 1, retried: 0, deadLettered: 1 });
    const [letter] = await readTopic(bus, `${spec.name}.dlq`);
    expect(letter!.headers).toMatchObject({ ce_id: bad.id, dlq_attempts: '1' });
    expect(letter!.headers.dlq_error).toBe('total disagrees with lines');
  });

  it('prunes inbox rows older than the retention and keeps the recent ones', async () => {
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await sql`
      insert into inbox (event_id, type, topic, partition, "offset", processed_at)
      values ('old-1', 't', ${spec.name}, 0, '0', ${old}), ('new-1', 't', ${spec.name}, 0, '1', now())
    `.execute(store.storage.db);
    const c = consumer({ inboxRetentionMs: 60 * 60 * 1000 });
    await c.start();
    await eventually(
      async () => {
        const rows = await sql<{ event_id: string }>`
          select event_id from inbox where event_id in ('old-1', 'new-1')`.execute(
          store.storage.db,
        );
        return rows.rows.length === 1 && rows.rows[0]!.event_id === 'new-1';
      },
      10_000,
      'the old row pruned',
    );
  });

  it('commits an offset only after the transaction of its record committed', async () => {
    const producer = bus.createProducer();
    const sent: PublishedEvent[] = [];
    for (const seq of range(3)) sent.push(await producer.publish(placed('g-1', seq)));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let blocked = false;
    const c = consumer({
      commitIntervalMs: 0, // commit after every record, so the first two are surely committed
      subscriptions: [
        on(OrderPlacedSchema, async (message, ctx) => {
          await recordEffect(message, ctx);
          if (message.customerId === '2') {
            blocked = true;
            await gate;
          }
        }),
      ],
    });
    await c.start();
    const partition = sent[0]!.partition;
    const committed = async () =>
      (await c.lag()).find((p) => p.partition === partition)?.committedOffset ?? null;
    try {
      await eventually(() => blocked, 30_000, 'the third handler');
      await eventually(async () => (await committed()) === sent[2]!.offset, 10_000, 'two commits');
      // Hold it a while: no commit may overtake the open transaction.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await committed()).toBe(sent[2]!.offset);
      // The open transaction holds one connection; another one can look.
      expect(await effects()).toEqual({ rows: 2, events: 2 });
    } finally {
      release();
    }
    await eventually(
      async () => (await committed()) === String(BigInt(sent[2]!.offset) + 1n),
      10_000,
      'the third commit',
    );
    expect(await effects()).toEqual({ rows: 3, events: 3 });
  });

  it('loses and doubles nothing when closed mid-stream and started again', async () => {
    const events = numberedEvents(randomUUID().slice(0, 8), 4, 10);
    const producer = bus.createProducer();
    for (const event of events) await producer.publish(event);
    const groupId = `restart-${randomUUID()}`;
    const slowly = on<InboxTestDatabase, typeof OrderPlacedSchema>(
      OrderPlacedSchema,
      async (m, ctx) => {
        await recordEffect(m, ctx);
        await new Promise((r) => setTimeout(r, 30));
      },
    );
    const first = consumer({
      groupId,
      subscriptions: [slowly],
      commitIntervalMs: 60_000,
      // One partition at a time, so the count below sees a steady trickle.
      partitionsConsumedConcurrently: 1,
    });
    await first.start();
    await eventually(async () => (await effects()).rows >= 10, 30_000, 'ten effects');
    await first.close();
    const handledBefore = first.status().handled;
    expect(handledBefore).toBeGreaterThanOrEqual(10);
    expect(handledBefore).toBeLessThan(40);
    // close() committed exactly what was handled: the committed offsets add up to it.
    expect((await effects()).rows).toBe(handledBefore);
    const committedTotal = (await bus.consumerLag(groupId, [spec.name])).reduce(
      (n, p) => n + Number(p.committedOffset ?? 0),
      0,
    );
    expect(committedTotal).toBe(handledBefore);

    const second = consumer({ groupId, subscriptions: [slowly] });
    await second.start();
    await eventually(async () => (await effects()).events === 40, 60_000, 'all 40 effects');
    await eventually(async () => (await second.lag()).every((p) => p.lag === 0), 10_000, 'lag 0');
    expect(await effects()).toEqual({ rows: 40, events: 40 });
    expect(second.status()).toMatchObject({ handled: 40 - handledBefore, duplicates: 0 });
    for (const seqs of (await effectSequences(store.storage)).values())
      expect(seqs).toEqual(range(10));
  });

  it('splits the partitions between two members of one group and applies each event once', async () => {
    const groupId = `split-${randomUUID()}`;
    const a = consumer({ groupId });
    const b = consumer({ groupId });
    await a.start();
    await b.start();
    const owned = (c: InboxConsumer) => c.status().assignment[spec.name]?.length ?? 0;
    await eventually(
      () => owned(a) > 0 && owned(b) > 0 && owned(a) + owned(b) === spec.partitions,
      60_000,
      'both members to own partitions',
    );
    const producer = bus.createProducer();
    for (const event of numberedEvents(randomUUID().slice(0, 8), 12, 3))
      await producer.publish(event);
    await eventually(async () => (await effects()).events === 36, 60_000, '36 effects');
    await eventually(async () => (await a.lag()).every((p) => p.lag === 0), 10_000, 'lag 0');
    expect(await effects()).toEqual({ rows: 36, events: 36 });
    expect(a.status().handled).toBeGreaterThan(0);
    expect(b.status().handled).toBeGreaterThan(0);
    expect(a.status().handled + b.status().handled).toBe(36);
  }, 120_000);
});

describe('inbox consumer under failure (real PostgreSQL)', () => {
  const root = resolve(__dirname, '../../../..');

  it('loses and doubles nothing when its process is SIGKILLed mid-stream', async () => {
    const store = await openInboxStore('postgres', logger);
    const spec = inboxTestTopic('sigkill');
    const bus = inboxTestBus(logger, spec);
    const groupId = `sigkill-${randomUUID()}`;
    let restarted: InboxConsumer | undefined;
    try {
      await bus.ensureTopics();
      const producer = bus.createProducer();
      const events = numberedEvents(randomUUID().slice(0, 8), 4, 50);
      for (let i = 0; i < events.length; i += 20) {
        await Promise.all(events.slice(i, i + 20).map((e) => producer.publish(e)));
      }
      const child = spawn(
        process.execPath,
        ['tools/scripts/run-ts.mjs', 'libs/event-bus/src/testing/inbox-consumer-process.ts'],
        {
          cwd: root,
          env: {
            ...process.env,
            INBOX_DB_URL: store.url,
            INBOX_TOPIC: spec.name,
            INBOX_GROUP: groupId,
            HANDLER_DELAY_MS: '10',
            // Only batch ends commit offsets, while runs of 5 commit effects:
            // a kill then surely leaves handled records uncommitted.
            COMMIT_INTERVAL_MS: '600000',
            MAX_EVENTS_PER_TRANSACTION: '5',
          },
          stdio: 'ignore',
        },
      );
      const exited = new Promise((r) => child.once('exit', r));
      await eventually(
        async () => (await countEffects(store.storage)).rows >= 30,
        90_000,
        '30 effects',
      );
      child.kill('SIGKILL');
      await exited;
      const atKill = (await countEffects(store.storage)).rows;
      expect(atKill).toBeLessThan(200);

      restarted = createInboxConsumer<InboxTestDatabase>({
        storage: store.storage,
        bus,
        logger,
        groupId,
        subscriptions: [on(OrderPlacedSchema, recordEffect)],
        lagLogIntervalMs: 0,
      });
      await restarted.start();
      await eventually(
        async () => (await countEffects(store.storage)).events === 200,
        90_000,
        'all 200 effects',
      );
      await eventually(
        async () => (await restarted!.lag()).every((p) => p.lag === 0),
        20_000,
        'lag 0',
      );
      expect(await countEffects(store.storage)).toEqual({ rows: 200, events: 200 });
      // The kill really left handled records uncommitted, and the inbox caught them.
      expect(restarted.status().duplicates).toBeGreaterThan(0);
      expect(restarted.status().handled + restarted.status().duplicates).toBeGreaterThanOrEqual(
        200 - atKill,
      );
      for (const seqs of (await effectSequences(store.storage)).values())
        expect(seqs).toEqual(range(50));
    } finally {
      await restarted?.close();
      await bus.close();
      await store.dispose();
    }
  }, 240_000);

  it('holds consumption while the database is unreachable, dead-letters nothing, and resumes', async () => {
    const proxy = await startTcpProxy(Number(new URL(testDatabaseUrl()).port || 5432));
    const store = await openInboxStore('postgres', logger, {
      urlFor: (url) => {
        const u = new URL(url);
        u.port = String(proxy.port);
        return u.toString();
      },
    });
    const spec = inboxTestTopic('dbdown');
    const bus = inboxTestBus(logger, spec);
    const c = createInboxConsumer<InboxTestDatabase>({
      storage: store.storage,
      bus,
      logger,
      groupId: `dbdown-${randomUUID()}`,
      subscriptions: [on(OrderPlacedSchema, recordEffect)],
      // Tight on purpose: were an outage counted as a handler failure, the
      // events would be dead-lettered within a second.
      maxAttempts: 2,
      retryBackoffMs: { initial: 20, max: 200 },
      lagLogIntervalMs: 0,
    });
    try {
      await bus.ensureTopics();
      const producer = bus.createProducer();
      await producer.publish(placed('d-1', 0));
      await c.start();
      await eventually(
        async () => (await countEffects(store.storage)).events === 1,
        30_000,
        'first',
      );

      await proxy.stop();
      await producer.publish(placed('d-1', 1));
      await producer.publish(placed('d-1', 2));
      await eventually(() => c.status().state === 'waiting-for-database', 30_000, 'a hold');
      await new Promise((r) => setTimeout(r, 3_000));
      expect(c.status()).toMatchObject({ state: 'waiting-for-database', deadLettered: 0 });
      expect(await readTopic(bus, `${spec.name}.dlq`)).toEqual([]);

      await proxy.start();
      await eventually(async () => (await countEffects(store.storage)).events === 3, 60_000, 'all');
      await eventually(async () => (await c.lag()).every((p) => p.lag === 0), 20_000, 'lag 0');
      expect(await countEffects(store.storage)).toEqual({ rows: 3, events: 3 });
      expect(c.status()).toMatchObject({ state: 'running', handled: 3, deadLettered: 0 });
      expect(await readTopic(bus, `${spec.name}.dlq`)).toEqual([]);
      expect((await effectSequences(store.storage)).get('d-1')).toEqual([0, 1, 2]);
    } finally {
      await c.close();
      await bus.close();
      await proxy.start();
      await store.dispose();
      await proxy.stop();
    }
  }, 120_000);

  it('starts before the broker is up, and loses nothing when the broker restarts under load', async () => {
    const store = await openInboxStore('postgres', logger);
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-inbox-kafka-'));
    const port = await freePort();
    const controllerPort = await freePort();
    const spec = inboxTestTopic('brokerdown');
    const bus = inboxTestBus(logger, spec, [`127.0.0.1:${port}`]);
    const c = createInboxConsumer<InboxTestDatabase>({
      storage: store.storage,
      bus,
      logger,
      groupId: `brokerdown-${randomUUID()}`,
      subscriptions: [on(OrderPlacedSchema, recordEffect)],
      lagLogIntervalMs: 0,
    });
    const total = 120;
    let broker: Awaited<ReturnType<typeof startLocalBroker>> | undefined;
    let publishing: Promise<void> | undefined;
    try {
      // No broker yet: start() must come back rather than throw or hang.
      await c.start();
      expect(c.status().state).toBe('starting');
      broker = await startLocalBroker({ dataDir, port, controllerPort });
      // The consumer creates the topics itself once it gets through.
      await eventually(() => c.status().state === 'running', 90_000, 'the consumer to join');
      const producer = bus.createProducer();
      const events = numberedEvents(randomUUID().slice(0, 8), 4, total / 4);
      // A steady publisher that keeps trying through the outage; a retried
      // publish may land twice, under the same ce_id, which the inbox absorbs.
      publishing = (async () => {
        for (const [i, event] of events.entries()) {
          const id = `evt-${i}-${spec.name}`;
          for (;;) {
            try {
              await producer.publish(event, { id });
              break;
            } catch {
              await new Promise((r) => setTimeout(r, 500));
            }
          }
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
      await eventually(
        async () => (await countEffects(store.storage)).rows >= 20,
        60_000,
        '20 effects',
      );
      await broker.stop();
      await new Promise((r) => setTimeout(r, 2_000));
      broker = await startLocalBroker({ dataDir, port, controllerPort });
      await publishing;
      await eventually(
        async () => (await countEffects(store.storage)).events === total,
        180_000,
        `all ${total} effects`,
      );
      expect(await countEffects(store.storage)).toEqual({ rows: total, events: total });
      for (const seqs of (await effectSequences(store.storage)).values()) {
        expect(seqs).toEqual(range(total / 4));
      }
    } finally {
      await publishing?.catch(() => undefined);
      await c.close();
      await bus.close();
      await broker?.stop();
      await store.dispose();
    }
  }, 480_000);
});

interface TcpProxy {
  readonly port: number;
  start(): Promise<void>;
  /** Refuses new connections and cuts the open ones, as a stopped server would. */
  stop(): Promise<void>;
}

/** A loopback TCP proxy to a local port, to take a database away without stopping it. */
async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const proxy: TcpProxy = {
    port,
    async start() {
      if (server) return;
      const s = createServer((client) => {
        const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((r, j) => {
        s.once('error', j);
        s.listen(port, '127.0.0.1', () => r());
      });
      server = s;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      const closed = new Promise((r) => s.close(r));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
  await proxy.start();
  return proxy;
}
