import { createMetricStore } from './create-metric-store';
import type { ReceivedMetricPoint } from './received-metric-point';

const point = (fields: Partial<ReceivedMetricPoint>): ReceivedMetricPoint => ({
  service: 'order-service',
  name: 'rpc.server.duration',
  unit: 'ms',
  kind: 'histogram',
  temporality: 'cumulative',
  attributes: { 'rpc.grpc.status_code': 0 },
  startTimeUnixNano: '1000',
  timeUnixNano: '2000',
  count: 0,
  sum: 0,
  explicitBounds: [10],
  bucketCounts: [0, 0],
  ...fields,
});

const counts = (points: readonly ReceivedMetricPoint[]) =>
  points.map((p) => [p.startTimeUnixNano, p.timeUnixNano, p.count, p.bucketCounts]);

describe('createMetricStore', () => {
  it('starts a series again from zero when its process restarted (a new start time, or a count that fell)', () => {
    const store = createMetricStore();
    store.add([
      point({ timeUnixNano: '2000', count: 5, bucketCounts: [5, 0] }),
      point({ timeUnixNano: '3000', count: 7, bucketCounts: [6, 1] }),
      // Restarted: a new start time, and its counts begin again.
      point({ startTimeUnixNano: '3500', timeUnixNano: '4000', count: 2, bucketCounts: [2, 0] }),
      // Restarted without a new start time: the count went down.
      point({ startTimeUnixNano: '3500', timeUnixNano: '5000', count: 1, bucketCounts: [1, 0] }),
    ]);
    expect(counts(store.since(0n))).toEqual([
      ['1000', '2000', 5, [5, 0]],
      ['2000', '3000', 2, [1, 1]],
      ['3500', '4000', 2, [2, 0]],
      ['3500', '5000', 1, [1, 0]],
    ]);
    expect(counts(store.since(3000n))).toHaveLength(2);
  });

  it('keeps series apart by service and attributes, in any attribute order', () => {
    const store = createMetricStore();
    store.add([
      point({ count: 1, attributes: { a: 1, b: 2 } }),
      point({ service: 'post-service', count: 4 }),
      point({ timeUnixNano: '3000', count: 3, attributes: { b: 2, a: 1 } }),
    ]);
    expect(store.since(0n).map((p) => [p.service, p.count])).toEqual([
      ['order-service', 1],
      ['post-service', 4],
      ['order-service', 2],
    ]);
  });

  it('turns cumulative sums into deltas and keeps gauges as they are', () => {
    const store = createMetricStore();
    const sum = (time: string, value: number) =>
      point({ name: 'orders', kind: 'sum', timeUnixNano: time, value, count: undefined });
    store.add([
      sum('2000', 3),
      sum('3000', 3),
      sum('4000', 10),
      point({ name: 'queue', kind: 'gauge', value: 4, count: undefined }),
    ]);
    expect(store.since(0n).map((p) => [p.name, p.value])).toEqual([
      ['orders', 3],
      ['orders', 7],
      ['queue', 4],
    ]);
  });

  it('drops the oldest points past the byte bound and counts them', () => {
    const one = Buffer.byteLength(JSON.stringify({ ...point({ count: 1 }), temporality: 'delta' }));
    const store = createMetricStore({ maxBytes: one * 2 + 10 });
    store.add([
      point({ temporality: 'delta', count: 1, timeUnixNano: '2000' }),
      point({ temporality: 'delta', count: 1, timeUnixNano: '3000' }),
      point({ temporality: 'delta', count: 1, timeUnixNano: '4000' }),
    ]);
    expect(store.since(0n).map((p) => p.timeUnixNano)).toEqual(['3000', '4000']);
    expect(store.stats()).toMatchObject({ items: 2, dropped: 1, maxBytes: one * 2 + 10 });
  });
});
