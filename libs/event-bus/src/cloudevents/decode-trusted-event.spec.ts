import { create } from '@bufbuild/protobuf';
import { OrderPlacedSchema, PostCreatedSchema, eventSourceOf } from '@switchboard/contracts';
import {
  EventDecodeError,
  createEventRegistry,
  decodeTrustedEvent,
  encodeEvent,
  type EventRecord,
  type OutgoingRecord,
} from '../index';

const registry = createEventRegistry();
const placed = create(OrderPlacedSchema, { orderId: 'o-1', customerId: 'c-1' });

function asRecord(out: OutgoingRecord, patch: Partial<EventRecord> = {}): EventRecord {
  return { partition: 0, offset: '0', timestamp: '0', ...out, ...patch };
}

function refusal(record: EventRecord): [string, string] {
  try {
    decodeTrustedEvent(record, registry);
  } catch (err) {
    if (err instanceof EventDecodeError) return [err.reason, err.message];
    throw err;
  }
  throw new Error('expected decodeTrustedEvent to refuse the record');
}

describe('decodeTrustedEvent', () => {
  it('decodes an event from the source the registry allows, on its own topic', () => {
    const ok = encodeEvent(placed, { registry, source: eventSourceOf('order-service') });
    expect(decodeTrustedEvent(asRecord(ok), registry).message).toEqual(placed);
  });

  it('refuses any other source, and a missing one, naming both sources', () => {
    const forged = encodeEvent(placed, { registry, source: '/switchboard/post-service' });
    expect(refusal(asRecord(forged))).toEqual([
      'forbidden_source',
      'switchboard.order.v1.OrderPlaced from /switchboard/post-service is refused: ' +
        'only /switchboard/order-service publishes it',
    ]);
    const { ce_source: _gone, ...headers } = forged.headers;
    expect(refusal(asRecord(forged, { headers }))).toEqual([
      'missing_header',
      'record has no ce_source header',
    ]);
  });

  it('refuses a known type on a topic it does not belong to, whatever its source', () => {
    const post = encodeEvent(
      create(PostCreatedSchema, { postId: 'p-1', authorId: 'a-1', text: 'hi' }),
      { registry, source: eventSourceOf('post-service') },
    );
    expect(refusal(asRecord(post, { topic: 'sales.orders.v1' }))).toEqual([
      'wrong_topic',
      'switchboard.post.v1.PostCreated belongs on social.posts.v1, not on sales.orders.v1',
    ]);
  });
});
