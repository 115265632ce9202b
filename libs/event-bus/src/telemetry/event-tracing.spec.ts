import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { create } from '@bufbuild/protobuf';
import { SpanKind, trace, type SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { OrderPlacedSchema, type TopicSpec } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import { createStorage, type Storage } from '@switchboard/storage';
import {
  createTestDatabase,
  registerTestTelemetry,
  type TestDatabase,
  type TestTelemetry,
} from '@switchboard/testing';
import { appendToOutbox } from '../outbox/append-to-outbox';
import { createEventRegistry } from '../create-event-registry';
import type { EventBus } from '../event-bus';
import { createInboxConsumer } from '../inbox/create-inbox-consumer';
import type { InboxConsumer } from '../inbox/inbox-consumer';
import { createOutboxRelay } from '../outbox/create-outbox-relay';
import type { OutboxRelay } from '../outbox/outbox-relay';
import { fromDeadLetter } from '../dead-letters/from-dead-letter';
import { on } from '../inbox/on';
import { outboxMigrations, type OutboxDatabase } from '../outbox/outbox-migrations';
import { UnprocessableEventError } from '../inbox/unprocessable-event-error';
import {
  eventually,
  INBOX_TEST_SOURCE,
  inboxTestBus,
  inboxTestMigrations,
  inboxTestTopic,
  readTopic,
  type Backend,
  type InboxTestDatabase,
} from '../testing/inbox-fixture';
import { quietLogger } from '../testing/outbox-fixture';

type Db = OutboxDatabase & InboxTestDatabase;

const logger = quietLogger();
const placed = (orderId: string, seq = 0) =>
  create(OrderPlacedSchema, { orderId, customerId: String(seq) });

/** One database with both an outbox and an inbox; reopenable, as after a crash. */
interface Place {
  open(): Promise<Storage<Db>>;
  dispose(): Promise<void>;
}

async function place(backend: Backend): Promise<Place> {
  const database: TestDatabase | undefined =
    backend === 'postgres' ? await createTestDatabase('tracing') : undefined;
  return {
    open: () =>
      createStorage<Db>({
        service: 'tracing_test',
        serviceDatabaseUrl: database?.url,
        migrations: { ...outboxMigrations, ...inboxTestMigrations },
        logger,
      }),
    dispose: async () => {
      await database?.drop();
    },
  };
}

describe.each<Backend>(['postgres'])('a trace through the outbox and Kafka on %s', (backend) => {
  let telemetry: TestTelemetry;
  let spec: TopicSpec;
  let bus: EventBus;
  let where: Place;
  let storage: Storage<Db>;
  const closers: { close(): Promise<void> }[] = [];
  const tracer = () => trace.getTracer('test');

  beforeAll(() => {
    telemetry = registerTestTelemetry();
  });
  afterAll(async () => {
    await telemetry.shutdown();
  });
  beforeEach(async () => {
    spec = inboxTestTopic(`trace-${backend}`);
    bus = inboxTestBus(logger, spec);
    await bus.ensureTopics();
    where = await place(backend);
    storage = await where.open();
  });
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c.close();
    await bus.close();
    await storage.close();
    await where.dispose();
  });

  const registry = () => createEventRegistry([spec]);

  /** Appends events inside a request span, as a gRPC handler would; that span's context. */
  async function appendInRequest(db: Storage<Db>, orderIds: string[]): Promise<SpanContext> {
    return tracer().startActiveSpan('PlaceOrder', async (span) => {
      await db.db.transaction().execute((trx) =>
        appendToOutbox(
          trx,
          orderIds.map((id, i) => placed(id, i)),
          {
            source: INBOX_TEST_SOURCE,
            registry: registry(),
          },
        ),
      );
      span.end();
      return span.spanContext();
    });
  }

  function relay(db: Storage<Db> = storage): OutboxRelay {
    const r = createOutboxRelay({ storage: db, producer: bus.createProducer(), logger });
    closers.push(r);
    return r;
  }

  /** A consumer whose handler notes the span it runs in. */
  function consumer(
    seen: Map<string, SpanContext>,
    options: {
      maxEventsPerTransaction?: number;
      /** Refused once as unprocessable: dead-lettered at once. */
      failOnce?: Set<string>;
      /** Fail once with an ordinary error: retried. */
      throwOnce?: Set<string>;
      /** Where the consumer's (and so the handlers') log lines go. */
      log?: typeof logger;
    } = {},
  ): { c: InboxConsumer; groupId: string } {
    const groupId = `trace-${backend}-${randomUUID().slice(0, 8)}`;
    const c = createInboxConsumer<Db>({
      storage,
      bus,
      logger: options.log ?? logger,
      groupId,
      subscriptions: [
        on(OrderPlacedSchema, async (message, ctx) => {
          if (options.failOnce?.delete(message.orderId)) {
            throw new UnprocessableEventError(`refusing ${message.orderId} once`);
          }
          if (options.throwOnce?.delete(message.orderId)) {
            throw new Error(`failing ${message.orderId} once`);
          }
          seen.set(message.orderId, trace.getActiveSpan()!.spanContext());
          ctx.logger.info({ orderId: message.orderId }, 'applied in the test handler');
          await ctx.trx
            .insertInto('effects')
            .values({ event_id: ctx.event.id, order_id: message.orderId, seq: 0 })
            .execute();
        }),
      ],
      retryBackoffMs: { initial: 20, max: 200 },
      lagLogIntervalMs: 0,
      maxEventsPerTransaction: options.maxEventsPerTransaction,
    });
    closers.push(c);
    return { c, groupId };
  }

  const producerSpans = (): ReadableSpan[] =>
    telemetry
      .spans()
      .filter(
        (s) =>
          s.kind === SpanKind.PRODUCER && s.attributes['messaging.destination.name'] === spec.name,
      );
  const processSpans = (groupId: string): ReadableSpan[] =>
    telemetry
      .spans()
      .filter(
        (s) =>
          s.kind === SpanKind.CONSUMER && s.attributes['messaging.consumer.group.name'] === groupId,
      );
  const byKey = (spans: ReadableSpan[]) =>
    new Map(spans.map((s) => [s.attributes['messaging.kafka.message.key'] as string, s]));

  it('continues the request trace: producer span, traceparent and ce_traceparent, process span per event', async () => {
    const run = randomUUID().slice(0, 8);
    const ids = [0, 1, 2].map((i) => `${run}-o${i}`);
    const sentBefore =
      (await telemetry.metric('messaging.client.sent.messages', {
        'messaging.destination.name': spec.name,
      })) ?? 0;
    const request = await appendInRequest(storage, ids);
    relay().start();
    const seen = new Map<string, SpanContext>();
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      service: 'trace-test',
      level: 'info',
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
          done();
        },
      }),
    });
    const { c, groupId } = consumer(seen, {
      maxEventsPerTransaction: 1,
      throwOnce: new Set([ids[1]!]),
      log,
    });
    await c.start();
    await eventually(() => c.status().handled === 3, 30_000, 'three events handled');

    const produced = byKey(
      producerSpans().filter((s) =>
        ids.includes(s.attributes['messaging.kafka.message.key'] as string),
      ),
    );
    expect([...produced.keys()].sort()).toEqual(ids);
    for (const span of produced.values()) {
      expect(span.name).toBe(`${spec.name} publish`);
      expect(span.spanContext().traceId).toBe(request.traceId);
      expect(span.parentSpanContext?.spanId).toBe(request.spanId);
      expect(span.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.operation.type': 'publish',
      });
    }

    const records = await readTopic(bus, spec.name);
    expect(records).toHaveLength(3);
    for (const record of records) {
      const producer = produced.get(record.key!)!;
      const expected = `00-${request.traceId}-${producer.spanContext().spanId}-01`;
      expect(record.headers.traceparent).toBe(expected);
      expect(record.headers.ce_traceparent).toBe(expected);
    }

    const processed = byKey(processSpans(groupId));
    expect(processed.size).toBe(3);
    for (const id of ids) {
      const span = processed.get(id)!;
      expect(span.name).toBe(`${spec.name} process`);
      expect(span.spanContext().traceId).toBe(request.traceId);
      expect(span.parentSpanContext?.spanId).toBe(produced.get(id)!.spanContext().spanId);
      expect(span.attributes).toMatchObject({
        'messaging.operation.type': 'process',
        'messaging.consumer.group.name': groupId,
      });
      // The handler ran inside it: what a log line's trace_id/span_id would name.
      expect(seen.get(id)).toMatchObject({
        traceId: request.traceId,
        spanId: span.spanContext().spanId,
      });
    }
    // And the handler's log lines name the trace the request chose, and the process span.
    const applied = lines.filter((l) => l.msg === 'applied in the test handler');
    expect(applied.map((l) => l.orderId).sort()).toEqual(ids);
    for (const line of applied) {
      expect(line.trace_id).toBe(request.traceId);
      expect(line.span_id).toBe(processed.get(line.orderId as string)!.spanContext().spanId);
    }

    // Exactly this test's events, no more.
    expect(
      await telemetry.metric('messaging.client.sent.messages', {
        'messaging.destination.name': spec.name,
      }),
    ).toBe(sentBefore + 3);
    expect(
      await telemetry.metric('messaging.client.consumed.messages', {
        'messaging.consumer.group.name': groupId,
        'switchboard.outcome': 'handled',
      }),
    ).toBe(3);
    expect(
      await telemetry.metric('messaging.process.duration', {
        'messaging.consumer.group.name': groupId,
      }),
    ).toBe(3);
    expect(
      await telemetry.metric('switchboard.outbox.publish.latency', {
        'messaging.destination.name': spec.name,
      }),
    ).toBe(3);
    // The failed first attempt: one retry, an event on the event's one span.
    expect(
      await telemetry.metric('switchboard.messaging.retries', {
        'messaging.consumer.group.name': groupId,
      }),
    ).toBe(1);
    expect(processed.get(ids[1]!)!.events.map((e) => e.name)).toEqual(['retry']);
    // Lag per partition as last read (a collection refreshes it in the background).
    await eventually(
      async () =>
        (await telemetry.metric('messaging.kafka.consumer.lag', {
          'messaging.consumer.group.name': groupId,
        })) === 0,
      30_000,
      'a lag of 0 reported',
    );
  });

  it('gives a run of events one process span linked to each producer span', async () => {
    const run = randomUUID().slice(0, 8);
    const ids = Array.from({ length: 20 }, (_, i) => `${run}-o${i}`);
    const request = await appendInRequest(storage, ids);
    // Published before the consumer starts, so its first fetch holds a run.
    const r = relay();
    r.start();
    await r.drained();
    const seen = new Map<string, SpanContext>();
    const { c, groupId } = consumer(seen);
    await c.start();
    await eventually(() => c.status().handled === 20, 30_000, 'twenty events handled');

    const produced = producerSpans().filter((s) => s.spanContext().traceId === request.traceId);
    expect(produced).toHaveLength(20);
    const spans = processSpans(groupId);
    const runs = spans.filter((s) => s.links.length > 0);
    expect(runs.length).toBeGreaterThan(0);
    // Each producer span is the parent of a single event's span or linked from a run's.
    const reached = new Set<string>();
    for (const span of spans) {
      if (span.parentSpanContext) reached.add(span.parentSpanContext.spanId);
      for (const link of span.links) reached.add(link.context.spanId);
    }
    for (const p of produced) expect(reached).toContain(p.spanContext().spanId);
    for (const span of runs) {
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.attributes['messaging.batch.message_count']).toBe(span.links.length);
      for (const link of span.links) expect(link.context.traceId).toBe(request.traceId);
      // Handlers of a run run inside the run's span.
    }
    const inRun = [...seen.values()].filter((s) =>
      runs.some((r) => r.spanContext().spanId === s.spanId),
    );
    expect(inRun.length).toBeGreaterThan(0);
    expect(
      await telemetry.metric('messaging.client.consumed.messages', {
        'messaging.consumer.group.name': groupId,
        'switchboard.outcome': 'handled',
      }),
    ).toBe(20);
  });

  it('keeps the trace when the relay publishes only after the appending process is gone', async () => {
    const run = randomUUID().slice(0, 8);
    const ids = [`${run}-a`, `${run}-b`];
    const request = await appendInRequest(storage, ids);
    // The "crash": nothing of the request survives but the database.
    await storage.close();
    storage = await where.open();
    const r = relay(storage);
    expect(await telemetry.metric('switchboard.outbox.backlog')).toBe(2);
    expect(
      await telemetry.metric('switchboard.outbox.oldest_unpublished.age'),
    ).toBeGreaterThanOrEqual(0);
    expect(trace.getActiveSpan()).toBeUndefined();
    r.start();
    await r.drained();

    const produced = producerSpans().filter((s) =>
      ids.includes(s.attributes['messaging.kafka.message.key'] as string),
    );
    expect(produced).toHaveLength(2);
    for (const span of produced) {
      expect(span.spanContext().traceId).toBe(request.traceId);
      expect(span.parentSpanContext?.spanId).toBe(request.spanId);
    }
    const records = await readTopic(bus, spec.name);
    for (const record of records) expect(record.headers.traceparent).toContain(request.traceId);
    expect(await telemetry.metric('switchboard.outbox.backlog')).toBe(0);
  });

  it('joins a dead-lettered then redriven event to its first trace', async () => {
    const run = randomUUID().slice(0, 8);
    const id = `${run}-dlq`;
    const request = await appendInRequest(storage, [id]);
    const r = relay();
    r.start();
    await r.drained();
    const seen = new Map<string, SpanContext>();
    const { c, groupId } = consumer(seen, { failOnce: new Set([id]) });
    await c.start();
    await eventually(() => c.status().deadLettered === 1, 30_000, 'a dead letter');
    const letters = await readTopic(bus, `${spec.name}.dlq`);
    expect(letters).toHaveLength(1);
    const producer = producerSpans().find(
      (s) => s.attributes['messaging.kafka.message.key'] === id,
    )!;
    const expected = `00-${request.traceId}-${producer.spanContext().spanId}-01`;
    expect(letters[0]!.headers.traceparent).toBe(expected);
    expect(letters[0]!.headers.ce_traceparent).toBe(expected);
    expect(
      await telemetry.metric('switchboard.messaging.dead_lettered', {
        'messaging.consumer.group.name': groupId,
      }),
    ).toBe(1);

    // What `events dlq redrive` publishes for it.
    const redriver = bus.createProducer();
    closers.push(redriver);
    await redriver.publishRaw([fromDeadLetter(letters[0]!)]);
    await eventually(() => c.status().handled === 1, 30_000, 'the redriven event handled');

    const attempts = processSpans(groupId).filter(
      (s) => s.attributes['messaging.kafka.message.key'] === id,
    );
    expect(attempts).toHaveLength(2);
    const [failed, redriven] = attempts;
    expect(failed!.attributes['switchboard.outcome']).toBe('dead-lettered');
    expect(redriven!.attributes['switchboard.outcome']).toBe('handled');
    for (const span of attempts) {
      expect(span.spanContext().traceId).toBe(request.traceId);
      expect(span.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    }
    expect(seen.get(id)?.traceId).toBe(request.traceId);
  });
});
