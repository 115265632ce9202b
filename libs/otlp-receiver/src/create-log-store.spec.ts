import { createLogStore } from './create-log-store';
import type { ReceivedLogRecord } from './received-log-record';

const record = (body: string, traceId?: string, time = '1'): ReceivedLogRecord => ({
  timeUnixNano: time,
  severityNumber: 9,
  severityText: 'INFO',
  body,
  service: 'order-service',
  ...(traceId ? { traceId: traceId.padStart(32, '0') } : {}),
  attributes: {},
});

describe('createLogStore', () => {
  it('drops the oldest records past the byte bound, from the trace index too', () => {
    const size = Buffer.byteLength(JSON.stringify(record('a', 'a')));
    const store = createLogStore({ maxBytes: size * 2 });
    expect(store.add([record('a', 'a'), record('b', 'b'), record('c', 'a')])).toEqual({
      dropped: 1,
    });
    expect(store.byTrace('a'.padStart(32, '0')).map((r) => r.body)).toEqual(['c']);
    expect(store.byTrace('b'.padStart(32, '0')).map((r) => r.body)).toEqual(['b']);
    // A record larger than the whole bound is dropped rather than emptying the store.
    expect(store.add([record('x'.repeat(size * 3))])).toEqual({ dropped: 1 });
    expect(store.stats()).toMatchObject({ items: 2, dropped: 2 });
  });

  it("gives a trace's records in time order, whatever order they arrived in", () => {
    const store = createLogStore();
    store.add([record('late', 'a', '30'), record('early', 'a', '10'), record('other', 'b', '20')]);
    expect(store.byTrace('A'.padStart(32, '0')).map((r) => r.body)).toEqual(['early', 'late']);
  });
});
