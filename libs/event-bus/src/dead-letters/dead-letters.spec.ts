import { truncateUtf8 } from './truncate-utf8';
import {
  fromDeadLetter,
  REDRIVE_GROUP_HEADER,
  redriveRefusal,
  toDeadLetter,
  type EventRecord,
} from '../index';

const record: EventRecord = {
  topic: 'sales.orders.v1',
  partition: 3,
  offset: '42',
  key: 'o-1',
  headers: { ce_id: 'e-1', ce_type: 'switchboard.order.v1.OrderPlaced', traceparent: 't' },
  value: new Uint8Array([1, 2, 3]),
  timestamp: '0',
};

describe('dead letters', () => {
  it('keeps the original record and adds where and why it failed', () => {
    const letter = toDeadLetter(record, {
      attempts: 5,
      error: 'boom',
      groupId: 'g',
      failedAt: new Date('2026-01-02T03:04:05.000Z'),
    });
    expect(letter).toEqual({
      topic: 'sales.orders.v1.dlq',
      key: 'o-1',
      value: record.value,
      headers: {
        ...record.headers,
        dlq_original_topic: 'sales.orders.v1',
        dlq_original_partition: '3',
        dlq_original_offset: '42',
        dlq_attempts: '5',
        dlq_error: 'boom',
        dlq_failed_at: '2026-01-02T03:04:05.000Z',
        dlq_consumer_group: 'g',
      },
    });
  });

  it('turns a dead letter back into the original record for a redrive, for the group that failed it', () => {
    const letter = toDeadLetter(record, { attempts: 1, error: 'x', groupId: 'g' });
    const asRead: EventRecord = {
      ...record,
      topic: letter.topic,
      offset: '0',
      headers: letter.headers,
    };
    expect(redriveRefusal(asRead)).toBeUndefined();
    expect(fromDeadLetter(asRead)).toEqual({
      topic: 'sales.orders.v1',
      key: 'o-1',
      value: record.value,
      headers: { ...record.headers, [REDRIVE_GROUP_HEADER]: 'g' },
    });
    // Without the headers (written by hand, say), the twin's name gives the
    // topic, and no group can be told: every group may handle it again.
    const bare = fromDeadLetter({
      ...asRead,
      headers: { ce_id: 'e-1', [REDRIVE_GROUP_HEADER]: 'old' },
    });
    expect(bare).toMatchObject({ topic: 'sales.orders.v1', headers: { ce_id: 'e-1' } });
    expect(bare.headers[REDRIVE_GROUP_HEADER]).toBeUndefined();
  });

  it('refuses to redrive a dead letter anywhere but to the topic its .dlq belongs to', () => {
    const letter = toDeadLetter(record, { attempts: 1, error: 'x', groupId: 'g' });
    const elsewhere: EventRecord = {
      ...record,
      topic: 'catalog.products.v1.dlq',
      offset: '0',
      headers: letter.headers,
    };
    expect(redriveRefusal(elsewhere)).toBe(
      'dlq_original_topic is sales.orders.v1, not catalog.products.v1',
    );
    expect(() => fromDeadLetter(elsewhere)).toThrow(/cannot redrive this dead letter/);
    expect(redriveRefusal({ ...record })).toBe('sales.orders.v1 is not a dead-letter topic');
  });

  it('truncates long errors to about 1 KB without splitting a character', () => {
    const long = toDeadLetter(record, { attempts: 1, error: 'é'.repeat(2_000), groupId: 'g' });
    const error = long.headers.dlq_error!;
    expect(Buffer.byteLength(error)).toBeLessThanOrEqual(1024);
    expect(Buffer.byteLength(error)).toBeGreaterThan(1000);
    expect(error).toMatch(/^é+…$/);
    expect(truncateUtf8('short', 1024)).toBe('short');
  });
});
