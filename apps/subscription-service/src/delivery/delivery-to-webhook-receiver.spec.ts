import { randomBytes, randomUUID } from 'node:crypto';
import { DeliveryMode } from '@switchboard/contracts';
import { createManualClock } from '@switchboard/timing';
import {
  startWebhookReceiver,
  type ReceivedRequest,
  type WebhookReceiver,
} from '@switchboard/webhook-receiver';
import { createRecordingDeliveryStore } from './testing/create-recording-delivery-store';
import { createTestDeliveryHandler } from './testing/create-test-delivery-handler';

// The workers and the receiver the README walks through agree: what one
// signs and sends, the other verifies and reads back as the same CloudEvent.
describe('delivery to the webhook receiver', () => {
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
  });

  it.each([DeliveryMode.BINARY, DeliveryMode.STRUCTURED])(
    'the fault demo: two 429s with Retry-After, then one verified delivery under one id (mode %s)',
    async (mode) => {
      const clock = createManualClock(Date.now());
      const secret = `whsec_${randomBytes(32).toString('base64')}`;
      const seen: ReceivedRequest[] = [];
      receiver = await startWebhookReceiver({
        host: '127.0.0.1',
        port: 0,
        secret: async () => secret,
        failFirst: 2,
        failStatus: 429,
        retryAfterSeconds: 3,
        now: () => clock.now(),
        onRequest: (r) => seen.push(r),
      });
      const store = createRecordingDeliveryStore();
      const deliveryId = randomUUID();
      const subscriptionId = randomUUID();
      store.add({
        deliveryId,
        subscriptionId,
        sinkUrl: receiver.url,
        mode,
        signingSecret: secret,
        paused: false,
        deleted: false,
      });
      const handler = createTestDeliveryHandler({ store, clock, maxAttempts: 5 });
      const event = {
        specversion: '1.0',
        id: 'evt-42',
        source: '/switchboard/order-service',
        type: 'switchboard.order.v1.OrderPlaced',
        time: new Date(clock.now()).toISOString(),
        datacontenttype: 'application/json',
        data: { orderId: 'o-42', total: { currency: 'EUR', amountMinor: '4200' } },
      };
      const job = (attempt: number) => ({
        id: deliveryId,
        attempt,
        body: new TextEncoder().encode(JSON.stringify({ deliveryId, subscriptionId, event })),
      });

      await expect(handler(job(1))).resolves.toEqual({ kind: 'retry', delayMs: 3_000 });
      await clock.advance(3_000);
      await expect(handler(job(2))).resolves.toEqual({ kind: 'retry', delayMs: 3_000 });
      await clock.advance(3_000);
      await expect(handler(job(3))).resolves.toEqual({ kind: 'ack' });

      expect(seen.map((r) => [r.answered, r.verified, r.id])).toEqual([
        [429, true, deliveryId],
        [429, true, deliveryId],
        [200, true, deliveryId],
      ]);
      expect(seen[2]).toMatchObject({
        mode: mode === DeliveryMode.STRUCTURED ? 'structured' : 'binary',
        duplicate: false,
        event,
      });
      expect(store.get(deliveryId)).toEqual({
        status: 'DELIVERED',
        attempts: 3,
        lastHttpStatus: 200,
        lastError: '',
      });
    },
  );
});
