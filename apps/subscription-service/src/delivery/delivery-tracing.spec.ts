import { randomBytes, randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { DeliveryMode } from '@switchboard/contracts';
import { registerTestTelemetry, type TestTelemetry } from '@switchboard/testing';
import type { JobHandler } from '@switchboard/work-queue';
import { createRecordingDeliveryStore } from './testing/create-recording-delivery-store';
import { startTestSink, type TestSink } from '../testing/test-sink';
import { createTestDeliveryHandler } from './testing/create-test-delivery-handler';

// Each attempt is a consumer span in the event's trace, its POST a client
// span whose context the sink receives as traceparent: checked against spans
// a real tracer recorded and headers a real HTTP sink received.

const event = {
  specversion: '1.0',
  id: 'evt-trace-1',
  source: '/switchboard/order-service',
  type: 'switchboard.order.v1.OrderPlaced',
  time: '2026-11-30T15:00:00.000Z',
  datacontenttype: 'application/json',
  data: { orderId: 'ord-1' },
};

describe('delivery spans', () => {
  let telemetry: TestTelemetry;
  let sink: TestSink;

  beforeAll(() => {
    telemetry = registerTestTelemetry();
  });
  afterAll(async () => {
    await telemetry.shutdown();
  });
  afterEach(async () => {
    await sink?.close();
  });

  function handlerFor(sinkUrl: string): {
    handler: JobHandler;
    deliveryId: string;
    subscriptionId: string;
  } {
    const store = createRecordingDeliveryStore();
    const deliveryId = randomUUID();
    const subscriptionId = randomUUID();
    store.add({
      deliveryId,
      subscriptionId,
      sinkUrl,
      mode: DeliveryMode.UNSPECIFIED,
      signingSecret: `whsec_${randomBytes(24).toString('base64')}`,
      paused: false,
      deleted: false,
    });
    const handler = createTestDeliveryHandler({ store });
    return { handler, deliveryId, subscriptionId };
  }

  const body = (job: unknown) => new TextEncoder().encode(JSON.stringify(job));

  /** The spans of one trace that the handler made (not the test's own). */
  const spansOf = (traceId: string) =>
    telemetry.spans().filter((s) => s.spanContext().traceId === traceId && s.name !== 'matched');

  it("an attempt is a consumer span under the job's context, its POST a client span the sink continues", async () => {
    sink = await startTestSink({ replies: [{ status: 503 }, { status: 204 }] });
    const { handler, deliveryId, subscriptionId } = handlerFor(sink.url);
    const matched = trace.getTracer('test').startSpan('matched');
    matched.end();
    const { traceId, spanId } = matched.spanContext();
    const job = {
      deliveryId,
      subscriptionId,
      event,
      traceContext: { traceparent: `00-${traceId}-${spanId}-01` },
    };

    expect(await handler({ id: deliveryId, attempt: 1, body: body(job) })).toMatchObject({
      kind: 'retry',
    });
    expect(await handler({ id: deliveryId, attempt: 2, body: body(job) })).toEqual({ kind: 'ack' });

    const spans = spansOf(traceId);
    const attempts = spans.filter((s) => s.name === 'deliver OrderPlaced');
    expect(attempts.map((s) => [s.kind, s.parentSpanContext?.spanId])).toEqual([
      [SpanKind.CONSUMER, spanId],
      [SpanKind.CONSUMER, spanId],
    ]);
    expect(attempts.map((s) => s.attributes['switchboard.delivery.attempt'])).toEqual([1, 2]);
    expect(attempts.map((s) => s.attributes['switchboard.delivery.outcome'])).toEqual([
      'retry',
      'ack',
    ]);
    expect(attempts[0]!.attributes).toMatchObject({
      'switchboard.delivery_id': deliveryId,
      'cloudevents.event_id': event.id,
      'switchboard.delivery.retry_in_ms': expect.any(Number),
    });

    const posts = spans.filter((s) => s.name === 'POST');
    expect(posts.map((s) => [s.kind, s.attributes['http.response.status_code']])).toEqual([
      [SpanKind.CLIENT, 503],
      [SpanKind.CLIENT, 204],
    ]);
    expect(posts.map((s) => s.parentSpanContext?.spanId)).toEqual(
      attempts.map((s) => s.spanContext().spanId),
    );
    expect(posts[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(posts[0]!.attributes['url.path']).toBe('/hooks');

    // Each request names its own POST span: the receiver's tracing joins the trace there.
    expect(sink.posts.map((r) => r.headers['traceparent'])).toEqual(
      posts.map((s) => `00-${traceId}-${s.spanContext().spanId}-01`),
    );
  });

  it('a job without a usable trace context is still delivered, in a trace of its own', async () => {
    sink = await startTestSink({ replies: [{ status: 200 }] });
    const { handler, deliveryId, subscriptionId } = handlerFor(sink.url);
    const job = { deliveryId, subscriptionId, event, traceContext: { traceparent: 42 } };

    expect(await handler({ id: deliveryId, attempt: 1, body: body(job) })).toEqual({ kind: 'ack' });

    const attempt = telemetry
      .spans()
      .find(
        (s) =>
          s.name === 'deliver OrderPlaced' &&
          s.attributes['switchboard.delivery_id'] === deliveryId,
      );
    expect(attempt).toBeDefined();
    expect(attempt!.parentSpanContext).toBeUndefined();
    expect(sink.posts).toHaveLength(1);
    expect(sink.posts[0]!.headers['traceparent']).toContain(attempt!.spanContext().traceId);
  });
});
