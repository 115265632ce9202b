import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { sql } from '@switchboard/storage';
import { eventually, freePort, startLocalBroker } from '@switchboard/testing';
import { createManualClock } from '@switchboard/timing';
import { allTopics } from '@switchboard/contracts';
import { appendToOutbox } from './append-to-outbox';
import { createEventRegistry } from '../create-event-registry';
import { encodeEvent } from '../cloudevents/encode-event';
import { createOutboxRelay } from './create-outbox-relay';
import {
  collectRun,
  numberedEvents,
  openOutboxStore,
  quietLogger,
  sequencesByKey,
  testBus,
  type Backend,
  type OutboxStore,
} from '../testing/outbox-fixture';

const source = '/switchboard/outbox-test';
const run = () => randomUUID().slice(0, 8);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe.each<Backend>(['postgres'])('outbox relay on %s', (backend) => {
  const logger = quietLogger();
  let store: OutboxStore;
  const bus = testBus(logger);

  beforeEach(async () => {
    store = await openOutboxStore(backend, logger);
  });
  afterEach(async () => {
    await store.dispose();
  });
  afterAll(async () => {
    await bus.close();
  });

  it('publishes committed events once, in order per key, with the outbox ce_id', async () => {
    const id = run();
    const collector = await collectRun(bus, id);
    const events = numberedEvents(id, 3, 20);
    // Several transactions, so order must hold across commits too.
    for (let i = 0; i < events.length; i += 10) {
      await store.storage.db
        .transaction()
        .execute((trx) => appendToOutbox(trx, events.slice(i, i + 10), { source }));
    }
    const relay = createOutboxRelay({
      storage: store.storage,
      producer: bus.createProducer(),
      logger,
    });
    relay.start();
    await collector.waitFor(60);
    await relay.drained();
    await relay.close();
    await collector.stop();

    for (const seqs of sequencesByKey(collector.events).values()) expect(seqs).toEqual(range(20));
    const rows = await sql<{ event_id: string; published_at: Date | null }>`
      select event_id, published_at from outbox`.execute(store.storage.db);
    expect(rows.rows.every((r) => r.published_at !== null)).toBe(true);
    expect(new Set(collector.events.map((e) => e.id))).toEqual(
      new Set(rows.rows.map((r) => r.event_id)),
    );
    expect(collector.events[0]!.source).toBe(source);
  });

  it('never publishes the events of a rolled-back transaction', async () => {
    const id = run();
    await expect(
      store.storage.db.transaction().execute(async (trx) => {
        await appendToOutbox(trx, numberedEvents(id, 1, 3), { source });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    const count = await sql<{ n: bigint }>`select count(*) as n from outbox`.execute(
      store.storage.db,
    );
    expect(count.rows[0]!.n).toBe(0n);
  });

  it('wakes on commit instead of waiting for its poll', async () => {
    const id = run();
    const collector = await collectRun(bus, id);
    const relay = createOutboxRelay({
      storage: store.storage,
      producer: bus.createProducer(),
      logger,
      pollIntervalMs: 120_000, // only a NOTIFY can wake it in time
    });
    relay.start();
    await new Promise((r) => setTimeout(r, 1_000)); // let it settle into its long sleep
    const started = Date.now();
    await appendToOutbox(store.storage.db, numberedEvents(id, 1, 1), { source });
    await collector.waitFor(1, 20_000);
    expect(Date.now() - started).toBeLessThan(20_000);
    await relay.close();
    await collector.stop();
  });

  it('publishes a burst of concurrent commits completely, in order per key', async () => {
    const id = run();
    const keys = 8;
    const perKey = 60;
    const collector = await collectRun(bus, id);
    const relay = createOutboxRelay({
      storage: store.storage,
      producer: bus.createProducer(),
      logger,
      batchSize: 25, // many batches, so marking one while fetching the next is exercised
    });
    relay.start();
    const events = numberedEvents(id, keys, perKey);
    // Each key's events are committed one transaction at a time, the keys all at
    // once: commits interleave while the relay is publishing.
    await Promise.all(
      range(keys).map(async (k) => {
        for (let seq = 0; seq < perKey; seq++) {
          await appendToOutbox(store.storage.db, [events[seq * keys + k]!], { source });
        }
      }),
    );
    await relay.drained(60_000);
    await collector.waitFor(keys * perKey);
    await relay.close();
    await collector.stop();

    const byKey = sequencesByKey(collector.events);
    expect(byKey.size).toBe(keys);
    for (const seqs of byKey.values()) expect(seqs).toEqual(range(perKey));
    const left = await sql<{ n: bigint }>`
      select count(*) as n from outbox where published_at is null`.execute(store.storage.db);
    expect(left.rows[0]!.n).toBe(0n);
  });

  it('still publishes a row whose NOTIFY never came, on its safety poll', async () => {
    const id = run();
    const collector = await collectRun(bus, id);
    const clock = createManualClock();
    const pollIntervalMs = 30_000;
    const relay = createOutboxRelay({
      storage: store.storage,
      producer: bus.createProducer(),
      logger,
      // The same poll whether or not LISTEN is up yet, so the test knows when it is due.
      pollIntervalMs,
      unlistenedPollIntervalMs: pollIntervalMs,
      clock,
    });
    relay.start();
    await relay.drained();
    // It found nothing and went to sleep on the clock: only its poll can find the row.
    await eventually(async () => clock.pending === 1, 10_000, 'the relay asleep');
    // A row written without pg_notify, as when the LISTEN connection missed it.
    const [event] = numberedEvents(id, 1, 1);
    const encoded = encodeEvent(event!, { registry: createEventRegistry(allTopics), source });
    await sql`
      insert into outbox (event_id, topic, key, type, headers, payload)
      values (${encoded.id}, ${encoded.topic}, ${encoded.key}, ${encoded.type},
              ${JSON.stringify(encoded.headers)}, ${encoded.value})`.execute(store.storage.db);
    const unpublished = async () =>
      (
        await sql<{ n: bigint }>`
          select count(*) as n from outbox where published_at is null`.execute(store.storage.db)
      ).rows[0]!.n;

    await clock.advance(pollIntervalMs - 1);
    expect(clock.pending).toBe(1); // still the same sleep: nothing woke it
    expect(await unpublished()).toBe(1n);

    await clock.advance(1);
    await collector.waitFor(1, 20_000);
    expect(collector.events[0]!.id).toBe(encoded.id);
    await eventually(async () => (await unpublished()) === 0n, 10_000, 'the row marked');
    await relay.close();
    await collector.stop();
  });
});

describe('outbox relay under failure (real PostgreSQL)', () => {
  const logger = quietLogger();
  let store: OutboxStore;

  beforeEach(async () => {
    store = await openOutboxStore('postgres', logger);
  });
  afterEach(async () => {
    await store.dispose();
  });

  it('keeps rows while the broker is down and publishes them, in order, when it returns', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-outage-kafka-'));
    const port = await freePort();
    const controllerPort = await freePort();
    let broker = await startLocalBroker({ dataDir, port, controllerPort });
    const bus = testBus(logger, broker.brokers);
    await bus.ensureTopics();
    const relay = createOutboxRelay({
      storage: store.storage,
      producer: bus.createProducer(),
      logger,
      retryDelayMs: 200,
    });
    relay.start();
    const id = run();
    try {
      await broker.stop();
      const events = numberedEvents(id, 4, 10);
      for (let i = 0; i < events.length; i += 4) {
        await appendToOutbox(store.storage.db, events.slice(i, i + 4), { source });
      }
      await new Promise((r) => setTimeout(r, 1_500));
      const waiting = await sql<{ n: bigint }>`
        select count(*) as n from outbox where published_at is null`.execute(store.storage.db);
      expect(waiting.rows[0]!.n).toBe(40n);

      broker = await startLocalBroker({ dataDir, port, controllerPort });
      await relay.drained(120_000);
      const collector = await collectRun(bus, id);
      await collector.waitFor(40);
      await collector.stop();
      const byKey = sequencesByKey(collector.events);
      expect(byKey.size).toBe(4);
      for (const seqs of byKey.values()) expect(seqs).toEqual(range(10));
    } finally {
      await relay.close();
      await bus.close();
      await broker.stop();
    }
  }, 240_000);

  it('loses nothing when the relay process is killed mid-batch', async () => {
    const id = run();
    const events = numberedEvents(id, 5, 100);
    await appendToOutbox(store.storage.db, events, { source });
    const root = resolve(__dirname, '../../../..');
    const child = spawn(
      process.execPath,
      ['tools/scripts/run-ts.mjs', 'libs/event-bus/src/testing/outbox-relay-process.ts'],
      { cwd: root, env: { ...process.env, OUTBOX_DB_URL: store.url }, stdio: 'ignore' },
    );
    const published = async () =>
      Number(
        (
          await sql<{
            n: bigint;
          }>`select count(*) as n from outbox where published_at is not null`.execute(
            store.storage.db,
          )
        ).rows[0]!.n,
      );
    const deadline = Date.now() + 60_000;
    while ((await published()) < 50 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const atKill = await published();
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(500);

    const bus = testBus(logger);
    const collector = await collectRun(bus, id);
    const relay = createOutboxRelay({
      storage: store.storage,
      producer: bus.createProducer(),
      logger,
      leaseMs: 2_000,
    });
    relay.start();
    try {
      await relay.drained(60_000);
      await collector.waitFor(500);
      // Duplicates are allowed (a kill between publish and mark), gaps are not.
      const byKey = sequencesByKey(collector.events);
      for (const seqs of byKey.values())
        expect([...new Set(seqs)].sort((a, b) => a - b)).toEqual(range(100));
      expect(new Set(collector.events.map((e) => e.id)).size).toBe(500);
    } finally {
      await relay.close();
      await collector.stop();
      await bus.close();
    }
  }, 180_000);

  it('lets only one of two replicas relay, so each row goes out once and in order', async () => {
    const id = run();
    const bus = testBus(logger);
    const collector = await collectRun(bus, id);
    const relays = [0, 1].map(() =>
      createOutboxRelay({
        storage: store.storage,
        producer: bus.createProducer(),
        logger,
        batchSize: 7,
      }),
    );
    relays.forEach((r) => r.start());
    try {
      const events = numberedEvents(id, 3, 50);
      for (let i = 0; i < events.length; i += 15) {
        await appendToOutbox(store.storage.db, events.slice(i, i + 15), { source });
      }
      await relays[0]!.drained(60_000);
      await collector.waitFor(150);
      await new Promise((r) => setTimeout(r, 1_000)); // room for any duplicate to show up
      expect(collector.events).toHaveLength(150);
      for (const seqs of sequencesByKey(collector.events).values()) expect(seqs).toEqual(range(50));
    } finally {
      await Promise.all(relays.map((r) => r.close()));
      await collector.stop();
      await bus.close();
    }
  }, 120_000);
});
