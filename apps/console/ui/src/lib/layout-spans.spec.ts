import { layoutSpans, type SpanLike } from './layout-spans';

const span = (
  spanId: string,
  parentSpanId: string,
  startMs: number,
  endMs: number,
  extra: Partial<SpanLike> = {},
): SpanLike => ({
  spanId,
  parentSpanId,
  startMs,
  endMs,
  linkedSpanIds: [],
  isConsumer: false,
  isProducer: false,
  ...extra,
});

describe('layoutSpans', () => {
  it('nests children under parents in start order, bars relative to the whole trace', () => {
    const { rows, durationMs } = layoutSpans([
      span('c2', 'root', 60, 100),
      span('root', '', 0, 100),
      span('c1', 'root', 10, 50),
      span('g1', 'c1', 20, 30),
    ]);
    expect(durationMs).toBe(100);
    expect(rows.map((r) => [r.span.spanId, r.depth])).toEqual([
      ['root', 0],
      ['c1', 1],
      ['g1', 2],
      ['c2', 1],
    ]);
    expect(rows[2]).toMatchObject({ offset: 0.2, width: 0.1 });
  });

  it('shows the wait in Kafka between a producer and the consumer that only links to it', () => {
    const { rows } = layoutSpans([
      span('root', '', 0, 20),
      span('produce', 'root', 10, 20, { isProducer: true }),
      span('process', '', 70, 100, { isConsumer: true, linkedSpanIds: ['produce'] }),
    ]);
    const process = rows.find((r) => r.span.spanId === 'process')!;
    expect(process).toMatchObject({ depth: 2, viaLink: true });
    expect(process.queued).toMatchObject({ ms: 50, offset: 0.2, width: 0.5 });
    expect(process.queued?.producer.spanId).toBe('produce');
  });

  it('gives every span a row once, even when parents and links form a cycle or are missing', () => {
    const { rows } = layoutSpans([
      span('a', 'b', 0, 10),
      span('b', 'a', 5, 10),
      span('orphan', 'gone', 2, 4),
    ]);
    expect(rows.map((r) => r.span.spanId).sort()).toEqual(['a', 'b', 'orphan']);
  });

  it('lays out nothing for no spans', () => {
    expect(layoutSpans([])).toEqual({ rows: [], startMs: 0, durationMs: 0 });
  });
});
