import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { DeliveryMode } from '@switchboard/contracts';
import { createTestCertificates, type TestCertificateAuthority } from '@switchboard/testing';
import { createManualClock } from '@switchboard/timing';
import { verifyWebhook } from '@switchboard/webhook-receiver';
import { createRecordingDeliveryStore } from './testing/create-recording-delivery-store';
import { createTestDeliveryHandler } from './testing/create-test-delivery-handler';

// An https sink by name: the guarded lookup must keep TLS checking the name
// the subscription gave, and a certificate nobody trusts must fail the attempt.
describe('delivery to an https sink', () => {
  let authority: TestCertificateAuthority;
  let server: Server;
  let port: number;
  const received: { headers: Record<string, unknown>; body: Buffer }[] = [];

  beforeAll(async () => {
    authority = await createTestCertificates();
    const certificate = await authority.issue('sink.example');
    server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await authority?.remove();
  });

  function setup(sinkCa: Buffer | undefined) {
    const clock = createManualClock(Date.now());
    const store = createRecordingDeliveryStore();
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const deliveryId = randomUUID();
    const subscriptionId = randomUUID();
    store.add({
      deliveryId,
      subscriptionId,
      sinkUrl: `https://sink.example:${port}/events`,
      mode: DeliveryMode.BINARY,
      signingSecret: secret,
      paused: false,
      deleted: false,
    });
    const handler = createTestDeliveryHandler({
      store,
      clock,
      resolve: async () => ['127.0.0.1'],
      sinkCa,
    });
    const event = {
      specversion: '1.0',
      id: 'evt-tls',
      source: '/switchboard/order-service',
      type: 'switchboard.order.v1.OrderPlaced',
      datacontenttype: 'application/json',
      data: { orderId: 'o-tls' },
    };
    const job = {
      id: deliveryId,
      attempt: 1,
      body: new TextEncoder().encode(JSON.stringify({ deliveryId, subscriptionId, event })),
    };
    return { handler, store, clock, secret, deliveryId, job };
  }

  it('delivers over TLS to a name the trusted CA vouches for', async () => {
    const s = setup(authority.ca);
    await expect(s.handler(s.job)).resolves.toEqual({ kind: 'ack' });
    const last = received.at(-1)!;
    expect(last.headers.host).toBe(`sink.example:${port}`);
    expect(
      verifyWebhook({
        secret: s.secret,
        headers: last.headers as Record<string, string>,
        body: last.body,
        nowMs: s.clock.now(),
      }),
    ).toMatchObject({ ok: true, id: s.deliveryId });
    expect(s.store.get(s.deliveryId)).toMatchObject({ status: 'DELIVERED', lastHttpStatus: 202 });
  });

  it('refuses a certificate the system CAs do not trust: the attempt fails and is retried', async () => {
    const before = received.length;
    const s = setup(undefined);
    await expect(s.handler(s.job)).resolves.toEqual({ kind: 'retry', delayMs: 500 });
    expect(received).toHaveLength(before);
    expect(s.store.get(s.deliveryId)).toMatchObject({ status: 'PENDING', lastHttpStatus: 0 });
    expect(s.store.get(s.deliveryId)!.lastError).toMatch(/certificate/i);
  });
});
