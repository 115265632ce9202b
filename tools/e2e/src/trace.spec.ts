// The causal trace across the asynchronous hop, as a user would see it: the
// stack `npm start` runs exports OTLP to a receiver on loopback, a call made
// with a traceparent of our choosing goes through gRPC, the outbox and Kafka,
// and every span it caused arrives in that one trace.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '@switchboard/otlp-receiver';
import { findGrpcurl, grpcurl } from './grpcurl';
import { startStack, type RunningStack } from './stack';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

function call(address: string, method: string, body: unknown, headers: Record<string, string>) {
  const args = ['-plaintext'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  const result = grpcurl([...args, '-d', JSON.stringify(body), address, method]);
  if (result.code !== 0) throw new Error(`${method} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

function login(email: string, password: string): string {
  const res = call(
    '127.0.0.1:50051',
    'switchboard.auth.v1.AuthService/Login',
    { email, password },
    {},
  );
  return res['accessToken'] as string;
}

/** Waits until the trace holds a span matching `wanted`, then returns the whole trace. */
async function traceWith(
  receiver: OtlpReceiver,
  traceId: string,
  wanted: (span: ReceivedSpan) => boolean,
  what: string,
  logs: () => string,
): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const spans = receiver.store.trace(traceId) ?? [];
    if (spans.some(wanted)) return spans;
    if (Date.now() > deadline) {
      const seen = spans.map((s) => `${s.service} ${s.kind} ${s.name}`).join('\n  ');
      // The stack's warnings say why a consumer never got there.
      throw new Error(
        `no ${what} in trace ${traceId} within 60 s; it holds:\n  ${seen}\n` +
          `the stack's last output:\n${logs().slice(-6000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const metricsPorts = {
  auth: 9461,
  inventory: 9462,
  order: 9463,
  post: 9464,
  notification: 9465,
  reporting: 9466,
  'edge-gateway': 9467,
};

/** A sample of a counter at a service's /metrics, summed over its label sets (0 when absent). */
async function scrape(port: number, metric: string): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return body
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

const isTopic = (span: ReceivedSpan, topic: string) =>
  span.attributes['messaging.destination.name'] === topic;

/** The producer span is the consumer span's parent, or one of its links. */
const causedBy = (consumer: ReceivedSpan, producer: ReceivedSpan) =>
  consumer.parentSpanId === producer.spanId ||
  consumer.links.some((l) => l.traceId === producer.traceId && l.spanId === producer.spanId);

describe('one trace from a gRPC call through the outbox and Kafka to every consumer', () => {
  let receiver: OtlpReceiver;
  let stack: RunningStack;

  beforeAll(async () => {
    receiver = await startOtlpReceiver({ port: 0 });
    stack = await startStack(240_000, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      // Export within a moment, so the test waits for spans, not for a timer.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
  });

  afterAll(async () => {
    await stack?.interrupt();
    await receiver?.close();
  });

  it('serves Prometheus text on every metrics port', async () => {
    for (const [service, port] of Object.entries(metricsPorts)) {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect([service, res.status]).toEqual([service, 200]);
      const body = await res.text();
      expect(body).toMatch(/^# TYPE \S+ (counter|gauge|histogram)$/m);
      expect(body).toMatch(/^nodejs_eventloop_delay_p99\{/m);
    }
  });

  it('PlaceOrder: order, inventory, the producer span and reporting in the trace the caller chose', async () => {
    const placedBefore = await scrape(metricsPorts.order, 'switchboard_orders_placed_total');
    const traceId = hex(16);
    const callerSpanId = hex(8);
    const token = login('demo@switchboard.local', 'switchboard-demo');
    call(
      '127.0.0.1:50053',
      'switchboard.order.v1.OrderService/PlaceOrder',
      { items: [{ sku: 'COF-ETH-250', quantity: 1 }] },
      { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-${callerSpanId}-01` },
    );

    const spans = await traceWith(
      receiver,
      traceId,
      (s) =>
        s.service === 'reporting-service' && s.kind === 'consumer' && isTopic(s, 'sales.orders.v1'),
      "reporting-service's process span for sales.orders.v1",
      () => stack.output(),
    );
    const placeOrder = spans.find(
      (s) => s.kind === 'server' && s.name === 'switchboard.order.v1.OrderService/PlaceOrder',
    );
    expect(placeOrder).toMatchObject({ service: 'order-service', parentSpanId: callerSpanId });
    // The stock is reserved and sold in one inventory call, a child of order's client span.
    const allocate = spans.find(
      (s) =>
        s.service === 'inventory-service' &&
        s.kind === 'server' &&
        s.name === 'switchboard.inventory.v1.InventoryService/AllocateStock',
    );
    expect(allocate).toBeDefined();
    expect(spans.find((s) => s.spanId === allocate!.parentSpanId)).toMatchObject({
      service: 'order-service',
      kind: 'client',
    });
    const producer = spans.find((s) => s.kind === 'producer' && isTopic(s, 'sales.orders.v1'));
    expect(producer).toMatchObject({ service: 'order-service' });
    const processed = spans.filter(
      (s) =>
        s.service === 'reporting-service' && s.kind === 'consumer' && isTopic(s, 'sales.orders.v1'),
    );
    expect(processed.some((s) => causedBy(s, producer!))).toBe(true);
    for (const span of spans) expect(span.service).toMatch(/-service$/);
    // Exactly one order more at order's /metrics.
    expect(await scrape(metricsPorts.order, 'switchboard_orders_placed_total')).toBe(
      placedBefore + 1,
    );
  });

  it('GetOrder over REST at the edge: the edge span sits between the caller and the service', async () => {
    const token = login('demo@switchboard.local', 'switchboard-demo');
    const placed = call(
      '127.0.0.1:50053',
      'switchboard.order.v1.OrderService/PlaceOrder',
      { items: [{ sku: 'COF-ETH-250', quantity: 1 }] },
      { authorization: `Bearer ${token}` },
    );
    const orderId = (placed['order'] as Record<string, unknown>)['orderId'] as string;
    const traceId = hex(16);
    const callerSpanId = hex(8);
    const res = await fetch(`http://127.0.0.1:8080/v1/orders/${orderId}`, {
      headers: {
        authorization: `Bearer ${token}`,
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
    });
    expect(res.status).toBe(200);

    // Each process exports on its own schedule: wait for both spans, in either order.
    await traceWith(
      receiver,
      traceId,
      (s) => s.service === 'edge-gateway' && s.kind === 'server',
      "the edge's server span",
      () => stack.output(),
    );
    const spans = await traceWith(
      receiver,
      traceId,
      (s) => s.service === 'order-service' && s.kind === 'server',
      "order-service's GetOrder span",
      () => stack.output(),
    );
    const edge = spans.find((s) => s.service === 'edge-gateway' && s.kind === 'server');
    expect(edge).toMatchObject({
      name: 'GET /v1/orders/{order_id}',
      parentSpanId: callerSpanId,
      attributes: expect.objectContaining({
        'http.route': '/v1/orders/{order_id}',
        'http.response.status_code': 200,
      }),
    });
    const server = spans.find((s) => s.service === 'order-service' && s.kind === 'server')!;
    const client = spans.find((s) => s.spanId === server.parentSpanId);
    expect(client).toMatchObject({
      service: 'edge-gateway',
      kind: 'client',
      parentSpanId: edge!.spanId,
    });
  });

  it("CreatePost: the fan-out and the WatchNotifications push belong to the post's trace", async () => {
    const suffix = hex(4);
    const users = ['grace', 'alan'].map((name) => {
      const email = `${name}-${suffix}@example.com`;
      const password = 'correct-horse-battery';
      call(
        '127.0.0.1:50051',
        'switchboard.auth.v1.AuthService/Register',
        {
          email,
          password,
          display_name: name,
        },
        {},
      );
      const res = call(
        '127.0.0.1:50051',
        'switchboard.auth.v1.AuthService/Login',
        { email, password },
        {},
      );
      return { token: res['accessToken'] as string, id: res['userId'] as string };
    });
    const [grace, alan] = users as [(typeof users)[0], (typeof users)[0]];
    // The post service learns users from UserRegistered: retry until it knows Alan.
    // Up to 90 s: once in CI a fresh stack took over 30 s to deliver it (under
    // investigation), and this test is about the trace, not that delay.
    for (let i = 0; ; i++) {
      const follow = grpcurl([
        '-plaintext',
        '-H',
        `authorization: Bearer ${grace.token}`,
        '-d',
        JSON.stringify({ user_id: alan.id }),
        '127.0.0.1:50054',
        'switchboard.post.v1.PostService/FollowUser',
      ]);
      if (follow.code === 0) break;
      if (i > 180) throw new Error(`FollowUser kept failing: ${follow.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Grace watches; the stream's headers (-v prints them) say the watch is in place.
    const watcher = spawn(findGrpcurl(), [
      '-plaintext',
      '-v',
      '-max-time',
      '60',
      '-H',
      `authorization: Bearer ${grace.token}`,
      '-d',
      '{}',
      '127.0.0.1:50055',
      'switchboard.notification.v1.NotificationService/WatchNotifications',
    ]);
    let watched = '';
    watcher.stdout.on('data', (chunk) => (watched += chunk));
    try {
      for (let i = 0; !watched.includes('Response headers received'); i++) {
        if (i > 100) throw new Error(`the watch did not start: ${watched}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const traceId = hex(16);
      const callerSpanId = hex(8);
      call(
        '127.0.0.1:50054',
        'switchboard.post.v1.PostService/CreatePost',
        { text: 'Traced from the first hop to the last.' },
        { authorization: `Bearer ${alan.token}`, traceparent: `00-${traceId}-${callerSpanId}-01` },
      );
      const spans = await traceWith(
        receiver,
        traceId,
        (s) => s.service === 'notification-service' && s.name === 'WatchNotifications push',
        'WatchNotifications push span',
        () => stack.output(),
      );
      const createPost = spans.find((s) => s.name === 'switchboard.post.v1.PostService/CreatePost');
      expect(createPost).toMatchObject({
        service: 'post-service',
        kind: 'server',
        parentSpanId: callerSpanId,
      });
      const producer = spans.find((s) => s.kind === 'producer' && isTopic(s, 'social.posts.v1'));
      expect(producer).toMatchObject({ service: 'post-service' });
      const processed = spans.filter(
        (s) =>
          s.service === 'notification-service' &&
          s.kind === 'consumer' &&
          isTopic(s, 'social.posts.v1'),
      );
      expect(processed.some((s) => causedBy(s, producer!))).toBe(true);
      const fanOut = spans.find((s) => s.name === 'PostCreated fan-out');
      expect(fanOut).toMatchObject({ service: 'notification-service' });
      const push = spans.find((s) => s.name === 'WatchNotifications push');
      expect(push?.parentSpanId).toBe(fanOut!.spanId);
    } finally {
      watcher.kill('SIGINT');
    }
  });
});
