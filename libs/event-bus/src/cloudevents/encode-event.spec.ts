import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { OrderPlacedSchema, PostCreatedSchema, topics } from '@switchboard/contracts';
import { HealthCheckRequestSchema } from '@switchboard/contracts';
import {
  EventDecodeError,
  createEventRegistry,
  decodeEvent,
  encodeEvent,
  type EventRecord,
  type OutgoingRecord,
} from '../index';

const registry = createEventRegistry();
const source = '/switchboard/order-service';

function asRecord(out: OutgoingRecord, patch: Partial<EventRecord> = {}): EventRecord {
  return {
    topic: out.topic,
    partition: 0,
    offset: '0',
    key: out.key,
    headers: out.headers,
    value: out.value,
    timestamp: '0',
    ...patch,
  };
}

function decodeFailure(record: EventRecord): EventDecodeError {
  try {
    decodeEvent(record, registry);
  } catch (err) {
    if (err instanceof EventDecodeError) return err;
    throw err;
  }
  throw new Error('expected decodeEvent to throw');
}

const placed = create(OrderPlacedSchema, {
  orderId: 'o-42',
  customerId: 'c-7',
  placedAt: timestampFromDate(new Date('2026-01-02T03:04:05.678Z')),
});

describe('encodeEvent', () => {
  it('frames a protobuf event as a binary-mode CloudEvent on its registry topic and key', () => {
    const time = new Date('2026-05-06T07:08:09.010Z');
    const encoded = encodeEvent(placed, { registry, source, time, headers: { traceparent: 't' } });
    expect(encoded.topic).toBe(topics.salesOrders.name);
    expect(encoded.key).toBe('o-42');
    expect(encoded.headers).toEqual({
      traceparent: 't',
      ce_specversion: '1.0',
      ce_id: encoded.id,
      ce_source: source,
      ce_type: 'switchboard.order.v1.OrderPlaced',
      ce_time: '2026-05-06T07:08:09.010Z',
      'content-type': 'application/protobuf',
    });
    expect(encoded.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(encodeEvent(placed, { registry, source }).id).not.toBe(encoded.id);
  });

  it('round-trips through decodeEvent', () => {
    const encoded = encodeEvent(placed, { registry, source, id: 'evt-1' });
    const decoded = decodeEvent(asRecord(encoded), registry);
    expect(decoded.id).toBe('evt-1');
    expect(decoded.type).toBe('switchboard.order.v1.OrderPlaced');
    expect(decoded.source).toBe(source);
    expect(decoded.schema).toBe(OrderPlacedSchema);
    expect(decoded.message).toEqual(placed);
  });

  it('does not let extra headers override the CloudEvents attributes', () => {
    const encoded = encodeEvent(placed, { registry, source, headers: { ce_type: 'evil' } });
    expect(encoded.headers.ce_type).toBe('switchboard.order.v1.OrderPlaced');
  });

  it('rejects a message type that is not in the registry', () => {
    expect(() => encodeEvent(create(HealthCheckRequestSchema), { registry, source })).toThrow(
      'grpc.health.v1.HealthCheckRequest is not in the topic registry',
    );
  });

  it('rejects an event whose key field is empty', () => {
    expect(() =>
      encodeEvent(create(PostCreatedSchema, { postId: 'p-1' }), { registry, source }),
    ).toThrow('empty record key');
  });
});

describe('decodeEvent', () => {
  const good = encodeEvent(placed, { registry, source });

  it.each(['ce_specversion', 'ce_id', 'ce_source', 'ce_type', 'content-type'])(
    'fails with missing_header without %s',
    (name) => {
      const headers = { ...good.headers };
      delete (headers as Record<string, string>)[name];
      const err = decodeFailure(asRecord(good, { headers }));
      expect(err.reason).toBe('missing_header');
      expect(err.message).toContain(name);
    },
  );

  it('fails with unknown_type for a ce_type outside the registry', () => {
    const err = decodeFailure(
      asRecord(good, { headers: { ...good.headers, ce_type: 'x.v1.Nope' } }),
    );
    expect(err.reason).toBe('unknown_type');
    expect(err.message).toBe('x.v1.Nope is not in the topic registry');
  });

  it('fails with malformed_payload for bytes that are not protobuf', () => {
    // Field 1 with wire type 7, which does not exist.
    const err = decodeFailure(asRecord(good, { value: new Uint8Array([0x0f, 0xff, 0xff]) }));
    expect(err.reason).toBe('malformed_payload');
    expect(err.cause).toBeDefined();
  });

  it('fails with malformed_payload for a record without a value', () => {
    expect(decodeFailure(asRecord(good, { value: null })).reason).toBe('malformed_payload');
  });

  it('checks the spec version and the content type', () => {
    const v2 = asRecord(good, { headers: { ...good.headers, ce_specversion: '2.0' } });
    expect(decodeFailure(v2).reason).toBe('unsupported_spec_version');
    const json = asRecord(good, {
      headers: { ...good.headers, 'content-type': 'application/json' },
    });
    expect(decodeFailure(json).reason).toBe('unsupported_content_type');
    const withParams = { ...good.headers, 'content-type': 'application/protobuf; proto=x' };
    expect(decodeEvent(asRecord(good, { headers: withParams }), registry).message).toEqual(placed);
  });
});
