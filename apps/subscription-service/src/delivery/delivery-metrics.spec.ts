import { randomBytes, randomUUID } from 'node:crypto';
import { DeliveryMode } from '@switchboard/contracts';
import { registerTestTelemetry, type TestTelemetry } from '@switchboard/testing';
import { createManualClock } from '@switchboard/timing';
import { createRecordingDeliveryStore } from './testing/create-recording-delivery-store';
import { startTestSink, type SinkAnswer, type TestSink } from '../testing/test-sink';
import { createTestDeliveryHandler } from './testing/create-test-delivery-handler';

describe('delivery metrics', () => {
  let telemetry: TestTelemetry;
  const sinks: TestSink[] = [];
  beforeAll(() => {
    telemetry = registerTestTelemetry();
  });
  afterAll(async () => {
    await Promise.all(sinks.map((s) => s.close()));
    await telemetry?.shutdown();
  });

  it('counts jobs by outcome, times each POST and measures the lag from the event time', async () => {
    const clock = createManualClock(Date.parse('2026-11-30T15:00:10.000Z'));
    const store = createRecordingDeliveryStore();
    const handler = createTestDeliveryHandler({ store, clock });
    const job = async (replies: SinkAnswer[], attempts: number[]) => {
      const sink = await startTestSink({ replies });
      sinks.push(sink);
      const deliveryId = randomUUID();
      const subscriptionId = randomUUID();
      store.add({
        deliveryId,
        subscriptionId,
        sinkUrl: sink.url,
        mode: DeliveryMode.BINARY,
        signingSecret: `whsec_${randomBytes(24).toString('base64')}`,
        paused: false,
        deleted: false,
      });
      const event = {
        specversion: '1.0',
        id: 'e',
        source: 's',
        type: 't',
        time: '2026-11-30T15:00:00.000Z',
        data: {},
      };
      for (const attempt of attempts) {
        await handler({
          id: deliveryId,
          attempt,
          body: new TextEncoder().encode(JSON.stringify({ deliveryId, subscriptionId, event })),
        });
      }
    };

    await job([{ status: 500 }, { status: 200 }], [1, 2]);
    await job([{ status: 400 }], [1]);
    await handler({ id: 'not-a-uuid', attempt: 1, body: new TextEncoder().encode('{}') });

    const jobs = (outcome: string) =>
      telemetry.metric('switchboard.subscription.delivery.jobs', { outcome });
    expect(await jobs('delivered')).toBe(1);
    expect(await jobs('retried')).toBe(1);
    expect(await jobs('dead_lettered')).toBe(2);
    expect(await jobs('dropped')).toBeUndefined();
    expect(await telemetry.metric('switchboard.subscription.delivery.attempt.duration')).toBe(3);
    expect(await telemetry.metric('switchboard.subscription.delivery.lag')).toBe(1);
  });
});
