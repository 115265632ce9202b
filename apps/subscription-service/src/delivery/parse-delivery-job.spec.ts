import { parseDeliveryJob } from './parse-delivery-job';

const deliveryId = '5a1f4c1e-8c7b-4a77-9a57-2f0b8d0e3c11';
const subscriptionId = '0b6c9f0a-3f0e-4c5e-8a39-0f2a7e0c9d22';
const event = {
  specversion: '1.0',
  id: 'evt-1',
  source: '/switchboard/order-service',
  type: 'switchboard.order.v1.OrderPlaced',
  time: '2026-11-30T15:00:00Z',
  datacontenttype: 'application/json',
  data: { orderId: 'o-1' },
};
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('parseDeliveryJob', () => {
  it('reads the agreed job body', () => {
    expect(parseDeliveryJob(encode({ deliveryId, subscriptionId, event }))).toEqual({
      ok: true,
      job: { deliveryId, subscriptionId, event },
    });
  });

  it('keeps extension attributes', () => {
    const withExtension = { ...event, traceparent: '00-abc-def-01' };
    expect(parseDeliveryJob(encode({ deliveryId, subscriptionId, event: withExtension }))).toEqual({
      ok: true,
      job: { deliveryId, subscriptionId, event: withExtension },
    });
  });

  it("keeps the event's trace context, and leaves out a damaged one rather than fail the delivery", () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const parsed = (traceContext: unknown) =>
      parseDeliveryJob(encode({ deliveryId, subscriptionId, event, traceContext }));
    expect(parsed({ traceparent, tracestate: 'sb=1' })).toEqual({
      ok: true,
      job: { deliveryId, subscriptionId, event, traceContext: { traceparent, tracestate: 'sb=1' } },
    });
    expect(parsed({ traceparent, tracestate: 7 })).toMatchObject({
      job: { traceContext: { traceparent } },
    });
    for (const damaged of ['00-abc', { traceparent: 42 }, { traceparent: 'x'.repeat(56) }, []]) {
      expect(parsed(damaged)).toEqual({ ok: true, job: { deliveryId, subscriptionId, event } });
    }
  });

  it.each([
    [new Uint8Array([0xff, 0xfe]), 'the body is not UTF-8 JSON'],
    [encode(null), 'the body is not a JSON object'],
    [encode({ deliveryId: 'x', subscriptionId, event }), 'deliveryId must be a UUID (got "x")'],
    [encode({ deliveryId, subscriptionId: 42, event }), 'subscriptionId must be a UUID (got 42)'],
    [
      encode({ deliveryId, subscriptionId, event: 'e' }),
      'event must be a CloudEvent as a JSON object',
    ],
    [
      encode({ deliveryId, subscriptionId, event: { ...event, data: undefined } }),
      "event.data is missing (the event's proto3 JSON)",
    ],
    [
      encode({ deliveryId, subscriptionId, event: { ...event, id: '' } }),
      'event.id must be a non-empty string (got "")',
    ],
    [
      encode({ deliveryId, subscriptionId, event: { ...event, type: undefined } }),
      'event.type must be a non-empty string (got nothing)',
    ],
    [
      encode({ deliveryId, subscriptionId, event: { ...event, time: 'yesterday' } }),
      'event.time must be an RFC 3339 timestamp (got "yesterday")',
    ],
    [
      encode({
        deliveryId,
        subscriptionId,
        event: { ...event, datacontenttype: 'application/xml' },
      }),
      'event.datacontenttype must be application/json (got "application/xml")',
    ],
    [
      encode({ deliveryId, subscriptionId, event: { ...event, Bad: 'x' } }),
      'event attribute "Bad" is not a CloudEvents attribute name',
    ],
    [
      encode({ deliveryId, subscriptionId, event: { ...event, nested: { a: 1 } } }),
      'event.nested must be a string, number or boolean (got {"a":1})',
    ],
  ])('refuses a bad job, saying what is wrong (%#)', (body, problem) => {
    const parsed = parseDeliveryJob(body);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problem).toContain(`malformed delivery job: ${problem}`);
  });
});
