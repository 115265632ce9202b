import { randomBytes, randomUUID } from 'node:crypto';
import { DeliveryMode } from '@switchboard/contracts';
import { createManualClock, type ManualClock } from '@switchboard/timing';
import { verifyWebhook } from '@switchboard/webhook-receiver';
import type { JobHandler, JobOutcome, ReceivedJob } from '@switchboard/work-queue';
import type { DeliveryHandlerOptions } from './create-delivery-handler';
import {
  createRecordingDeliveryStore,
  type RecordingDeliveryStore,
} from './testing/create-recording-delivery-store';
import { startTestSink, type SinkAnswer, type TestSink } from '../testing/test-sink';
import { createTestDeliveryHandler } from './testing/create-test-delivery-handler';

const event = {
  specversion: '1.0',
  id: 'evt-0001',
  source: '/switchboard/order-service',
  type: 'switchboard.order.v1.OrderPlaced',
  time: '2026-11-30T15:00:00.000Z',
  datacontenttype: 'application/json',
  data: { orderId: 'ord-1', total: { currency: 'EUR', amountMinor: '1290' } },
};

const sinks: TestSink[] = [];
async function sink(...replies: SinkAnswer[]): Promise<TestSink> {
  const started = await startTestSink({ replies });
  sinks.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

interface Setup {
  handler: JobHandler;
  store: RecordingDeliveryStore;
  clock: ManualClock;
  secret: string;
  deliveryId: string;
  subscriptionId: string;
  /** The job as the queue hands it over on delivery number `attempt`. */
  job(attempt: number, body?: unknown): ReceivedJob;
}

function setup(
  sinkUrl: string,
  options: Partial<DeliveryHandlerOptions> & { mode?: DeliveryMode } = {},
): Setup {
  const store = createRecordingDeliveryStore();
  const clock = createManualClock();
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const deliveryId = randomUUID();
  const subscriptionId = randomUUID();
  store.add({
    deliveryId,
    subscriptionId,
    sinkUrl,
    mode: options.mode ?? DeliveryMode.UNSPECIFIED,
    signingSecret: secret,
    paused: false,
    deleted: false,
  });
  const handler = createTestDeliveryHandler({ store, clock, ...options });
  const job = (attempt: number, body: unknown = { deliveryId, subscriptionId, event }) => ({
    id: deliveryId,
    attempt,
    body: new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)),
  });
  return { handler, store, clock, secret, deliveryId, subscriptionId, job };
}

function verified(s: Setup, received: TestSink['posts'][number]) {
  return verifyWebhook({
    secret: s.secret,
    headers: received.headers,
    body: received.body,
    nowMs: s.clock.now(),
  });
}

describe('createDeliveryHandler', () => {
  it('POSTs a signed binary-mode CloudEvent once and records it delivered on 2xx', async () => {
    const target = await sink({ status: 204 });
    const s = setup(target.url);

    await expect(s.handler(s.job(1))).resolves.toEqual({ kind: 'ack' });

    expect(target.posts).toHaveLength(1);
    const [request] = target.posts;
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/hooks');
    expect(request!.headers).toMatchObject({
      'ce-specversion': '1.0',
      'ce-id': 'evt-0001',
      'ce-source': '/switchboard/order-service',
      'ce-type': 'switchboard.order.v1.OrderPlaced',
      'ce-time': '2026-11-30T15:00:00.000Z',
      'content-type': 'application/json',
      'webhook-id': s.deliveryId,
      'webhook-timestamp': String(Math.floor(s.clock.now() / 1_000)),
    });
    expect(request!.headers['ce-datacontenttype']).toBeUndefined();
    expect(JSON.parse(request!.body.toString('utf8'))).toEqual(event.data);
    expect(verified(s, request!)).toEqual({
      ok: true,
      id: s.deliveryId,
      timestampSeconds: Math.floor(s.clock.now() / 1_000),
    });
    expect(s.store.get(s.deliveryId)).toEqual({
      status: 'DELIVERED',
      attempts: 1,
      lastHttpStatus: 204,
      lastError: '',
    });
  });

  it('a signature made with another secret does not verify', async () => {
    const target = await sink({ status: 200 });
    const s = setup(target.url);
    await s.handler(s.job(1));
    const other = `whsec_${randomBytes(24).toString('base64')}`;
    expect(
      verifyWebhook({
        secret: other,
        headers: target.posts[0]!.headers,
        body: target.posts[0]!.body,
        nowMs: s.clock.now(),
      }),
    ).toEqual({ ok: false, reason: 'no v1 signature matches' });
  });

  it('500, 500, 200: retried after jittered back-off with the same delivery id, then delivered once', async () => {
    const target = await sink(
      { status: 500, body: 'database is down' },
      { status: 503 },
      { status: 200 },
    );
    const s = setup(target.url);

    // Full jitter with random() = 0.5: half of 1 s, then half of 2 s.
    await expect(s.handler(s.job(1))).resolves.toEqual({ kind: 'retry', delayMs: 500 });
    expect(s.store.get(s.deliveryId)).toMatchObject({
      status: 'PENDING',
      attempts: 1,
      lastHttpStatus: 500,
      lastError: 'the sink answered 500: database is down',
    });
    await s.clock.advance(500);
    await expect(s.handler(s.job(2))).resolves.toEqual({ kind: 'retry', delayMs: 1_000 });
    await s.clock.advance(1_000);
    await expect(s.handler(s.job(3))).resolves.toEqual({ kind: 'ack' });

    expect(target.posts).toHaveLength(3);
    expect(target.posts.map((r) => r.headers['webhook-id'])).toEqual([
      s.deliveryId,
      s.deliveryId,
      s.deliveryId,
    ]);
    // Each attempt is signed at its own time, so its timestamp stays fresh.
    const start = Math.floor((s.clock.now() - 1_500) / 1_000);
    expect(target.posts.map((r) => Number(r.headers['webhook-timestamp']))).toEqual([
      start,
      start,
      start + 1,
    ]);
    for (const r of target.posts) {
      expect(
        verifyWebhook({ secret: s.secret, headers: r.headers, body: r.body, nowMs: s.clock.now() })
          .ok,
      ).toBe(true);
    }
    expect(s.store.get(s.deliveryId)).toEqual({
      status: 'DELIVERED',
      attempts: 3,
      lastHttpStatus: 200,
      lastError: '',
    });
  });

  it('the jitter comes from the injected random', async () => {
    const target = await sink({ status: 500 });
    const low = setup(target.url, { random: () => 0 });
    const high = setup(target.url, { random: () => 0.999 });
    await expect(low.handler(low.job(2))).resolves.toEqual({ kind: 'retry', delayMs: 0 });
    await expect(high.handler(high.job(2))).resolves.toEqual({ kind: 'retry', delayMs: 1_998 });
  });

  it('honours a 429 Retry-After in seconds or as an HTTP date, capped', async () => {
    const s = setup('http://placeholder', { retryAfterMaxMs: 60_000 });
    const seconds = await sink({ status: 429, headers: { 'retry-after': '7' } });
    s.store.update(s.deliveryId, { sinkUrl: seconds.url });
    await expect(s.handler(s.job(1))).resolves.toEqual({ kind: 'retry', delayMs: 7_000 });

    const date = await sink({
      status: 429,
      headers: { 'retry-after': new Date(s.clock.now() + 30_000).toUTCString() },
    });
    s.store.update(s.deliveryId, { sinkUrl: date.url });
    await expect(s.handler(s.job(2))).resolves.toEqual({ kind: 'retry', delayMs: 30_000 });

    const tooLong = await sink({ status: 503, headers: { 'retry-after': '86400' } });
    s.store.update(s.deliveryId, { sinkUrl: tooLong.url });
    await expect(s.handler(s.job(2))).resolves.toEqual({ kind: 'retry', delayMs: 60_000 });

    // An unreadable Retry-After falls back to the back-off.
    const garbage = await sink({ status: 429, headers: { 'retry-after': 'soon' } });
    s.store.update(s.deliveryId, { sinkUrl: garbage.url });
    await expect(s.handler(s.job(1))).resolves.toEqual({ kind: 'retry', delayMs: 500 });
    expect(s.store.get(s.deliveryId)).toMatchObject({ status: 'PENDING', lastHttpStatus: 429 });
  });

  it('a 400 is dead-lettered at once, without retry', async () => {
    const target = await sink({ status: 400, body: 'unknown event type' });
    const s = setup(target.url);

    const outcome = await s.handler(s.job(1));

    expect(outcome).toEqual({
      kind: 'dead-letter',
      reason: 'the sink answered 400: unknown event type; not retried',
    });
    expect(target.posts).toHaveLength(1);
    expect(s.store.get(s.deliveryId)).toEqual({
      status: 'DEAD_LETTERED',
      attempts: 1,
      lastHttpStatus: 400,
      lastError: 'the sink answered 400: unknown event type; not retried',
    });
  });

  it('408 is retried like a 5xx, 404 and 410 are not', async () => {
    const s = setup('http://placeholder');
    for (const [status, kind] of [
      [408, 'retry'],
      [404, 'dead-letter'],
      [410, 'dead-letter'],
    ] as const) {
      const target = await sink({ status });
      s.store.update(s.deliveryId, { sinkUrl: target.url });
      const outcome: JobOutcome = await s.handler(s.job(1));
      expect([status, outcome.kind]).toEqual([status, kind]);
    }
  });

  it('a sink that is down for good is dead-lettered after maxAttempts', async () => {
    const gone = await startTestSink();
    const url = gone.url;
    await gone.close();
    const s = setup(url);

    await expect(s.handler(s.job(1))).resolves.toEqual({ kind: 'retry', delayMs: 500 });
    await expect(s.handler(s.job(2))).resolves.toEqual({ kind: 'retry', delayMs: 1_000 });
    const last = await s.handler(s.job(3));

    expect(last.kind).toBe('dead-letter');
    expect(last.kind === 'dead-letter' && last.reason).toMatch(
      /^gave up after 3 attempts: ECONNREFUSED/,
    );
    expect(s.store.get(s.deliveryId)).toMatchObject({
      status: 'DEAD_LETTERED',
      attempts: 3,
      lastHttpStatus: 0,
    });
    expect(s.store.get(s.deliveryId)!.lastError).toMatch(/^gave up after 3 attempts: ECONNREFUSED/);
  });

  it('a sink that does not answer in time is retried once the timeout passes on the clock', async () => {
    const target = await sink('hang', { status: 200 });
    const s = setup(target.url);

    let outcome: JobOutcome | undefined;
    const running = s.handler(s.job(1)).then((o) => (outcome = o));
    await waitUntil(() => target.posts.length === 1);
    await s.clock.advance(4_999);
    expect(outcome).toBeUndefined();
    await s.clock.advance(1);
    await running;

    expect(outcome).toEqual({ kind: 'retry', delayMs: 500 });
    expect(s.store.get(s.deliveryId)).toMatchObject({
      status: 'PENDING',
      attempts: 1,
      lastHttpStatus: 0,
      lastError: 'no answer within 5000 ms',
    });
    await expect(s.handler(s.job(2))).resolves.toEqual({ kind: 'ack' });
  });

  it('structured mode sends the whole event as application/cloudevents+json', async () => {
    const target = await sink({ status: 200 });
    const s = setup(target.url, { mode: DeliveryMode.STRUCTURED });

    await expect(s.handler(s.job(1))).resolves.toEqual({ kind: 'ack' });

    const [request] = target.posts;
    expect(request!.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(Object.keys(request!.headers).filter((h) => h.startsWith('ce-'))).toEqual([]);
    expect(JSON.parse(request!.body.toString('utf8'))).toEqual(event);
    expect(verified(s, request!).ok).toBe(true);
  });

  it('never follows a redirect: a 3xx is dead-lettered and its target is not called', async () => {
    const metadata = await sink({ status: 200 });
    const target = await sink({ status: 307, headers: { location: metadata.url } });
    const s = setup(target.url);

    const outcome = await s.handler(s.job(1));

    expect(outcome).toEqual({
      kind: 'dead-letter',
      reason: `the sink answered 307 (to ${metadata.url}); redirects are not followed`,
    });
    expect(metadata.posts).toHaveLength(0);
    expect(s.store.get(s.deliveryId)).toMatchObject({
      status: 'DEAD_LETTERED',
      lastHttpStatus: 307,
    });
  });

  it('checks the address at each connection: a name now resolving to the metadata address is not sent to', async () => {
    const target = await sink({ status: 200 });
    const port = new URL(target.url).port;
    const resolveTo = (address: string) => async () => [address];

    // By name, through the guarded lookup: allowed loopback is reached.
    const byName = setup(`http://sink.example:${port}/hooks`, { resolve: resolveTo('127.0.0.1') });
    await expect(byName.handler(byName.job(1))).resolves.toEqual({ kind: 'ack' });
    expect(target.posts).toHaveLength(1);
    expect(target.posts[0]!.headers.host).toBe(`sink.example:${port}`);

    const rebound = setup(`http://sink.example:${port}/hooks`, {
      resolve: resolveTo('169.254.169.254'),
    });
    const reason =
      'not sent: sink.example resolves to 169.254.169.254, a cloud metadata address; sinks must be public endpoints';
    await expect(rebound.handler(rebound.job(1))).resolves.toEqual({ kind: 'dead-letter', reason });
    expect(rebound.store.get(rebound.deliveryId)).toEqual({
      status: 'DEAD_LETTERED',
      attempts: 1,
      lastHttpStatus: 0,
      lastError: reason,
    });
    expect(target.posts).toHaveLength(1);
  });

  it('without SUBSCRIPTION_ALLOW_LOOPBACK_SINKS a loopback sink is refused, by address or by name', async () => {
    const target = await sink({ status: 200 });
    const literal = setup(target.url, { allowLoopbackSinks: false });
    await expect(literal.handler(literal.job(1))).resolves.toEqual({
      kind: 'dead-letter',
      reason: 'not sent: 127.0.0.1 is a loopback address; sinks must be public endpoints',
    });
    const named = setup(`http://localhost:${new URL(target.url).port}/`, {
      allowLoopbackSinks: false,
    });
    const outcome = await named.handler(named.job(1));
    expect(outcome.kind === 'dead-letter' && outcome.reason).toMatch(
      /^not sent: localhost resolves to (127\.0\.0\.1|::1), a loopback address/,
    );
    expect(target.posts).toHaveLength(0);
  });

  it.each([
    ['not JSON', 'ok', /^malformed delivery job: the body is not UTF-8 JSON/],
    ['an array', [1], /the body is not a JSON object/],
    [
      'no delivery id',
      { subscriptionId: randomUUID(), event },
      /deliveryId must be a UUID \(got nothing\)/,
    ],
    [
      'a wrong specversion',
      {
        deliveryId: randomUUID(),
        subscriptionId: randomUUID(),
        event: { ...event, specversion: '0.3' },
      },
      /event.specversion must be "1.0" \(got "0.3"\)/,
    ],
    [
      'binary data',
      {
        deliveryId: randomUUID(),
        subscriptionId: randomUUID(),
        event: { ...event, data_base64: 'AA==' },
      },
      /"data_base64" is not a CloudEvents attribute name/,
    ],
  ])(
    'a job with %s is dead-lettered with the reason, and nothing is sent',
    async (_what, body, reason) => {
      const target = await sink({ status: 200 });
      const s = setup(target.url);

      const outcome = await s.handler(s.job(1, body));

      expect(outcome.kind).toBe('dead-letter');
      expect(outcome.kind === 'dead-letter' && outcome.reason).toMatch(reason);
      expect(target.posts).toHaveLength(0);
      // The job id is the delivery id: its row says why.
      expect(s.store.get(s.deliveryId)).toMatchObject({ status: 'DEAD_LETTERED', attempts: 0 });
      expect(s.store.get(s.deliveryId)!.lastError).toMatch(reason);
    },
  );

  it('a job for a deleted or paused subscription is acknowledged and recorded as dropped, unsent', async () => {
    const target = await sink({ status: 200 });
    const deleted = setup(target.url);
    deleted.store.update(deleted.deliveryId, { deleted: true });
    await expect(deleted.handler(deleted.job(1))).resolves.toEqual({ kind: 'ack' });
    expect(deleted.store.get(deleted.deliveryId)).toEqual({
      status: 'DEAD_LETTERED',
      attempts: 0,
      lastHttpStatus: 0,
      lastError: 'dropped: the subscription was deleted before delivery',
    });

    const paused = setup(target.url);
    paused.store.update(paused.deliveryId, { paused: true });
    await expect(paused.handler(paused.job(1))).resolves.toEqual({ kind: 'ack' });
    expect(paused.store.get(paused.deliveryId)!.lastError).toMatch(
      /^dropped: the subscription is paused/,
    );
    expect(target.posts).toHaveLength(0);
  });

  it('an unknown delivery, or one for another subscription, is dead-lettered unsent', async () => {
    const target = await sink({ status: 200 });
    const s = setup(target.url);
    const stranger = randomUUID();
    await expect(
      s.handler(s.job(1, { deliveryId: stranger, subscriptionId: s.subscriptionId, event })),
    ).resolves.toEqual({ kind: 'dead-letter', reason: `unknown delivery ${stranger}` });
    const other = randomUUID();
    await expect(
      s.handler(s.job(1, { deliveryId: s.deliveryId, subscriptionId: other, event })),
    ).resolves.toEqual({
      kind: 'dead-letter',
      reason: `the job names subscription ${other}, but delivery ${s.deliveryId} belongs to ${s.subscriptionId}`,
    });
    expect(target.posts).toHaveLength(0);
  });

  it('a job redelivered beyond maxAttempts (workers that crashed on it) is dead-lettered unsent', async () => {
    const target = await sink({ status: 200 });
    const s = setup(target.url);
    await expect(s.handler(s.job(4))).resolves.toEqual({
      kind: 'dead-letter',
      reason: 'gave up: delivered to workers 3 times already',
    });
    expect(target.posts).toHaveLength(0);
  });

  it('a store that fails makes the job wait like a failing sink, never acknowledged unrecorded', async () => {
    const target = await sink({ status: 200 });
    const s = setup(target.url);
    s.store.failWith(new Error('connection terminated'));
    await expect(s.handler(s.job(1))).resolves.toEqual({ kind: 'retry', delayMs: 500 });
    await expect(s.handler(s.job(3))).resolves.toEqual({
      kind: 'dead-letter',
      reason: 'gave up after 3 attempts: the delivery store failed: connection terminated',
    });
    expect(target.posts).toHaveLength(0);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the sink');
    await new Promise((r) => setTimeout(r, 10));
  }
}
