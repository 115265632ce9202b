import { create, toBinary } from '@bufbuild/protobuf';
import { OrderPlacedSchema, topics } from '@switchboard/contracts';
import { createEventRegistry, encodeEvent, type EventRecord } from '@switchboard/event-bus';
import { toTopicRecord } from './to-topic-record';
import { traceIdOf } from './trace-id-of';

const registry = createEventRegistry();

function recordOf(overrides: Partial<EventRecord>): EventRecord {
  return {
    topic: topics.salesOrders.name,
    partition: 1,
    offset: '7',
    key: 'o-1',
    headers: {},
    value: null,
    timestamp: '1767225600000',
    ...overrides,
  };
}

describe('toTopicRecord', () => {
  it('decodes a registered event to JSON and reads the trace id from traceparent', () => {
    const encoded = encodeEvent(create(OrderPlacedSchema, { orderId: 'o-1', customerId: 'c-1' }), {
      registry,
      source: topics.salesOrders.events[0]!.source,
    });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const shown = toTopicRecord(
      recordOf({ headers: { ...encoded.headers, traceparent }, value: encoded.value }),
      registry,
    );
    expect(shown).toMatchObject({
      topic: topics.salesOrders.name,
      partition: 1,
      offset: 7n,
      key: 'o-1',
      eventType: 'switchboard.order.v1.OrderPlaced',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      decodeError: '',
    });
    expect(JSON.parse(shown.json)).toEqual({ orderId: 'o-1', customerId: 'c-1' });
    expect(shown.timestamp?.seconds).toBe(1767225600n);
  });

  it('says why a record does not decode, and shows headers that are not text as base64', () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x00]);
    const shown = toTopicRecord(
      recordOf({
        key: null,
        headers: { ce_type: 'switchboard.order.v1.OrderPlaced', blob: '\ufffd\ufffd\u0000' },
        binaryHeaders: { blob: bytes },
        value: toBinary(OrderPlacedSchema, create(OrderPlacedSchema, { orderId: 'x' })),
        timestamp: 'not a number',
      }),
      registry,
    );
    expect(shown.json).toBe('');
    expect(shown.decodeError).toMatch(/^missing_header: /);
    expect(shown.key).toBe('');
    expect(shown.timestamp).toBeUndefined();
    expect(shown.headers).toEqual([
      expect.objectContaining({ key: 'ce_type', value: 'switchboard.order.v1.OrderPlaced' }),
      expect.objectContaining({ key: 'blob', value: Buffer.from(bytes).toString('base64') }),
    ]);
  });
});

describe('traceIdOf', () => {
  it('takes the trace id of a valid traceparent only', () => {
    expect(traceIdOf('00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01')).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    expect(traceIdOf(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toBe('');
    expect(traceIdOf('tp-1')).toBe('');
    expect(traceIdOf(undefined)).toBe('');
  });
});
