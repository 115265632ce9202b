import { createSpanStore } from './create-span-store';
import type { ReceivedSpan } from './received-span';
import { createTestSpan } from './testing/create-test-span';

function span(
  traceId: string,
  spanId: string,
  start: number,
  extra: Partial<ReceivedSpan> = {},
): ReceivedSpan {
  return createTestSpan({
    traceId: traceId.padStart(32, '0'),
    spanId: spanId.padStart(16, '0'),
    name: `span-${spanId}`,
    startTimeUnixNano: String(start * 1_000_000),
    endTimeUnixNano: String((start + 1) * 1_000_000),
    durationMs: 1,
    ...extra,
  });
}

const bytesOf = (s: ReceivedSpan) => Buffer.byteLength(JSON.stringify(s));

describe('createSpanStore', () => {
  it('drops the oldest spans past the byte bound and counts them', () => {
    const spans = [span('a', '1', 1), span('b', '2', 2), span('a', '3', 3), span('c', '4', 4)];
    // Room for exactly the last two.
    const store = createSpanStore({ maxBytes: bytesOf(spans[2]!) + bytesOf(spans[3]!) });
    expect(store.add(spans).dropped).toBe(2);
    expect(store.stats()).toEqual({
      spans: 2,
      traces: 2,
      bytes: bytesOf(spans[2]!) + bytesOf(spans[3]!),
      droppedSpans: 2,
    });
    expect(store.trace('a'.padStart(32, '0'))!.map((s) => s.spanId)).toEqual([
      '3'.padStart(16, '0'),
    ]);
    expect(store.trace('b'.padStart(32, '0'))).toBeUndefined();
    expect(store.all().map((s) => s.spanId)).toEqual([
      '3'.padStart(16, '0'),
      '4'.padStart(16, '0'),
    ]);
  });

  it('drops a single span larger than the whole bound instead of emptying the store', () => {
    const store = createSpanStore({ maxBytes: 2_000 });
    store.add([span('a', '1', 1)]);
    expect(store.add([span('b', '2', 2, { attributes: { big: 'x'.repeat(5_000) } })])).toEqual({
      added: [],
      dropped: 1,
    });
    expect(store.stats()).toMatchObject({ spans: 1, droppedSpans: 1 });
  });

  it('summarizes traces, newest first, with their root, services, errors and extent', () => {
    const store = createSpanStore();
    store.add([
      span('a', '2', 12, {
        parentSpanId: '1'.padStart(16, '0'),
        service: 'inventory',
        status: { code: 'error' },
      }),
      span('a', '1', 10, { service: 'order', endTimeUnixNano: String(15_000_000) }),
      span('b', '3', 20),
    ]);
    expect(
      store
        .traces()
        .map((t) => [
          t.traceId.slice(-1),
          t.root.name,
          t.services,
          t.spanCount,
          t.errorCount,
          t.durationMs,
        ]),
    ).toEqual([
      ['b', 'span-3', ['svc'], 1, 0, 1],
      ['a', 'span-1', ['order', 'inventory'], 2, 1, 5],
    ]);
  });

  it('skips a span it already holds, as an exporter retrying a lost response resends it', () => {
    const store = createSpanStore();
    const seen = jest.fn();
    store.subscribe(seen);
    store.add([span('a', '1', 1)]);
    expect(store.add([span('a', '1', 1), span('a', '2', 2)]).added.map((s) => s.name)).toEqual([
      'span-2',
    ]);
    expect(store.stats()).toMatchObject({ spans: 2, droppedSpans: 0 });
    expect(seen.mock.calls.map(([spans]) => spans.length)).toEqual([1, 1]);
  });

  it('keeps calling other subscribers when one throws, and stops calling the one that threw', () => {
    const store = createSpanStore();
    const good = jest.fn();
    const bad = jest.fn(() => {
      throw new Error('socket closed');
    });
    store.subscribe(bad);
    store.subscribe(good);
    store.add([span('a', '1', 1)]);
    store.add([span('a', '2', 2)]);
    expect(bad).toHaveBeenCalledTimes(1);
    expect(good).toHaveBeenCalledTimes(2);
  });

  it('evicts many spans without slowing down (the queue head moves, the array is not shifted)', () => {
    const store = createSpanStore({ maxSpans: 100 });
    for (let i = 0; i < 20_000; i++)
      store.add([span((i % 50).toString(16), (i + 1).toString(16), i)]);
    expect(store.stats()).toMatchObject({ spans: 100, traces: 50, droppedSpans: 19_900 });
  });
});
