import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { SpanKind, trace } from '@opentelemetry/api';
import { PostCreatedSchema } from '@switchboard/contracts';
import { createEventBus, type EventBus } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { registerTestTelemetry, type TestTelemetry } from '@switchboard/testing';
import {
  brokers,
  createTestStore,
  handled,
  seedFollowers,
  startReplica,
  watch,
  type NotificationReplica,
  type TestStore,
} from './testing/notification-test-harness';

describe('the PostCreated trace through notifications', () => {
  let telemetry: TestTelemetry;
  let store: TestStore;
  let replica: NotificationReplica;
  let bus: EventBus;

  beforeAll(async () => {
    // Before the replica: its consumer and feed take their tracer and meter when created.
    telemetry = registerTestTelemetry();
    store = await createTestStore();
    replica = await startReplica(store);
    bus = createEventBus({
      brokers: brokers(),
      clientId: 'notification-tracing-test',
      source: '/switchboard/post-service',
      logger: createLogger({ service: 'publisher', level: 'silent' }),
    });
  });
  afterAll(async () => {
    await bus?.close();
    await replica?.close();
    await store?.dispose();
    await telemetry?.shutdown();
  });

  it('fans out inside the PostCreated process span and pushes to a watcher in the same trace', async () => {
    const [author, fan] = [randomUUID(), randomUUID()];
    await seedFollowers(replica.storage, author, [fan]);
    const reader = await watch(replica, fan);
    const deliveredBefore = (await telemetry.metric('switchboard.notifications.delivered')) ?? 0;

    // The span of the CreatePost call the post service would have been in.
    const request = trace.getTracer('test').startSpan('CreatePost');
    const { traceId, spanId } = request.spanContext();
    request.end();
    const producer = bus.createProducer();
    const published = await producer.publish(
      create(PostCreatedSchema, {
        postId: randomUUID(),
        authorId: author,
        text: 'traced',
        createdAt: timestampFromDate(new Date()),
      }),
      { headers: { traceparent: `00-${traceId}-${spanId}-01` } },
    );
    await producer.close();
    await handled(replica, published.id);
    await reader.waitFor(1);
    await reader.cancel();

    const spans = telemetry.spans().filter((s) => s.spanContext().traceId === traceId);
    const processSpan = spans.find(
      (s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.message.id'] === published.id,
    );
    expect(processSpan?.parentSpanContext?.spanId).toBe(spanId);
    const fanOut = spans.find((s) => s.name === 'PostCreated fan-out');
    expect(fanOut?.parentSpanContext?.spanId).toBe(processSpan!.spanContext().spanId);
    expect(fanOut?.attributes['switchboard.notifications_written']).toBe(1);
    const push = spans.find((s) => s.name === 'WatchNotifications push');
    expect(push).toBeDefined();
    expect(push!.parentSpanContext?.spanId).toBe(fanOut!.spanContext().spanId);
    expect(push!.attributes['switchboard.notification_id']).toBe(
      reader.received[0]!.notification.notificationId,
    );

    const row = await replica.storage.db
      .selectFrom('notifications')
      .select('trace_context')
      .where('recipient_id', '=', fan)
      .executeTakeFirstOrThrow();
    expect(row.trace_context).toContain(traceId);
    // At least this one: the replica's consumer also applies whatever other
    // specs publish on the shared topic meanwhile, and counts those too.
    expect(await telemetry.metric('switchboard.notifications.delivered')).toBeGreaterThanOrEqual(
      deliveredBefore + 1,
    );
  });
});
