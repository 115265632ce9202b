import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { OrderPlacedSchema } from '@switchboard/contracts';
import { createEventRegistry, encodeEvent, type EventRecord } from '@switchboard/event-bus';
import { formatTailLine } from './format-tail-line';
import { parseEventsArgs } from './parse-events-args';

const registry = createEventRegistry();

describe('formatTailLine', () => {
  const encoded = encodeEvent(
    create(OrderPlacedSchema, {
      orderId: 'o-9',
      customerId: 'c-1',
      placedAt: timestampFromDate(new Date('2026-03-04T05:06:07Z')),
    }),
    {
      registry,
      source: '/switchboard/order-service',
      id: 'evt-9',
      time: new Date('2026-03-04T05:06:08Z'),
    },
  );
  const record: EventRecord = {
    topic: encoded.topic,
    partition: 4,
    offset: '17',
    key: encoded.key,
    headers: encoded.headers,
    value: encoded.value,
    timestamp: String(Date.parse('2026-03-04T05:06:09Z')),
  };

  it('prints coordinates, headers and the payload as protobuf JSON', () => {
    expect(JSON.parse(formatTailLine(record, registry))).toEqual({
      topic: 'sales.orders.v1',
      partition: 4,
      offset: '17',
      key: 'o-9',
      timestamp: '2026-03-04T05:06:09.000Z',
      headers: {
        ce_specversion: '1.0',
        ce_id: 'evt-9',
        ce_source: '/switchboard/order-service',
        ce_type: 'switchboard.order.v1.OrderPlaced',
        ce_time: '2026-03-04T05:06:08.000Z',
        'content-type': 'application/protobuf',
      },
      type: 'switchboard.order.v1.OrderPlaced',
      payload: { orderId: 'o-9', customerId: 'c-1', placedAt: '2026-03-04T05:06:07Z' },
    });
  });

  it('prints an undecodable record with the reason and its bytes as base64', () => {
    const line = JSON.parse(
      formatTailLine({ ...record, value: new Uint8Array([0x0f, 0xff]) }, registry),
    );
    expect(line.error).toMatch(/^malformed_payload: /);
    expect(line.value).toBe('D/8=');
    expect(line.payload).toBeUndefined();
    expect(line.headers.ce_id).toBe('evt-9');
  });
});

describe('parseEventsArgs', () => {
  it('reads tail options and falls back to KAFKA_BROKERS', () => {
    expect(
      parseEventsArgs(['tail', 't.v1', '--from-beginning', '--max', '3'], {
        KAFKA_BROKERS: 'a:1,b:2',
      }),
    ).toEqual({
      command: 'tail',
      topic: 't.v1',
      fromBeginning: true,
      max: 3,
      brokers: ['a:1', 'b:2'],
    });
    expect(parseEventsArgs(['tail', 't.v1', '--max=2', '--brokers', 'x:9'], {})).toMatchObject({
      fromBeginning: false,
      max: 2,
      brokers: ['x:9'],
    });
  });

  it('rejects bad usage with a message naming the problem', () => {
    expect(() => parseEventsArgs(['tail'], {})).toThrow('tail needs a topic');
    expect(() => parseEventsArgs(['tail', 't', '--max', '0'], {})).toThrow(
      '--max must be a positive',
    );
    expect(() => parseEventsArgs(['tail', 't', '--follow'], {})).toThrow('unknown option --follow');
    expect(() => parseEventsArgs(['cat', 't'], {})).toThrow('unknown command cat');
  });
});
