import { create } from '@bufbuild/protobuf';
import { OrderCancelledSchema, OrderPlacedSchema, topics } from '@switchboard/contracts';
import { encodeEvent } from '../cloudevents/encode-event';
import { createEventRegistry } from '../create-event-registry';
import { REDRIVE_GROUP_HEADER } from '../dead-letters/dead-letter-headers';
import type { EventRecord } from '../event-record';
import { takeRun, type RunRouting } from './take-run';

const spec = topics.salesOrders;
const registry = createEventRegistry([spec]);
const source = spec.events[0]!.source;
/** This group handles OrderPlaced only. */
const routing: RunRouting = {
  groupId: 'g',
  handledTypes: new Map([[OrderPlacedSchema.typeName, true]]),
  registry,
};

let offset = 0;
function record(message: Parameters<typeof encodeEvent>[0], headers = {}): EventRecord {
  const encoded = encodeEvent(message, { registry, source });
  return {
    topic: encoded.topic,
    partition: 0,
    offset: String(offset++),
    key: encoded.key,
    headers: { ...encoded.headers, ...headers },
    value: encoded.value,
    timestamp: '0',
  };
}
const placed = (id: string, headers = {}) =>
  record(create(OrderPlacedSchema, { orderId: id }), headers);
const cancelled = (id: string) => record(create(OrderCancelledSchema, { orderId: id }));

describe('takeRun', () => {
  it("decodes this group's events and carries the others along undecoded", () => {
    const records = [placed('a'), cancelled('b'), placed('c', { [REDRIVE_GROUP_HEADER]: 'other' })];
    const run = takeRun(records, 0, 10, routing);
    expect(run.map((item) => item.record)).toEqual(records);
    expect(run.map((item) => item.event?.id)).toEqual([
      records[0]!.headers.ce_id,
      undefined,
      undefined,
    ]);
  });

  it('stops before a record that does not decode, and at the limit', () => {
    const broken = { ...placed('x'), value: new Uint8Array([0xff, 0xff]) };
    const records = [placed('a'), placed('b'), broken, placed('c')];
    expect(takeRun(records, 0, 10, routing)).toHaveLength(2);
    expect(takeRun(records, 2, 10, routing)).toHaveLength(0);
    expect(takeRun(records, 3, 10, routing)).toHaveLength(1);
    expect(takeRun(records, 0, 1, routing)).toHaveLength(1);
  });

  it('stops before a record from a source the registry does not allow', () => {
    const forged = placed('f', { ce_source: '/switchboard/someone-else' });
    expect(takeRun([placed('a'), forged], 0, 10, routing)).toHaveLength(1);
  });
});
