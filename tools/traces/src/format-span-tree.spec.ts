import type { ReceivedSpan } from '@switchboard/otlp-receiver';
import { createTestSpan } from '@switchboard/otlp-receiver/testing';
import { formatSpanTree } from './format-span-tree';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const base = 1_700_000_000_000_000_000n;

function span(
  id: string,
  startMs: number,
  endMs: number,
  extra: Partial<ReceivedSpan>,
): ReceivedSpan {
  return createTestSpan({
    traceId,
    spanId: id.padStart(16, '0'),
    name: `span-${id}`,
    startTimeUnixNano: String(base + BigInt(startMs * 1e6)),
    endTimeUnixNano: String(base + BigInt(endMs * 1e6)),
    durationMs: endMs - startMs,
    service: 'order-service',
    ...extra,
  });
}

describe('formatSpanTree', () => {
  it('roots a trace at a span whose caller was not exported, and draws a consumer linked, not parented, to its producer', () => {
    // As when a test calls PlaceOrder with a traceparent of its own: the server span's parent never arrives.
    const caller = 'ca11e7'.padStart(16, '0');
    const spans = [
      span('1', 0, 1500, { parentSpanId: caller, kind: 'server', name: 'PlaceOrder' }),
      span('2', 10, 12, { parentSpanId: '1'.padStart(16, '0'), kind: 'producer', name: 'send' }),
      span('3', 20, 30, {
        parentSpanId: '1'.padStart(16, '0'),
        kind: 'client',
        status: { code: 'error' },
        name: 'ReserveStock',
      }),
      span('4', 62, 64, {
        kind: 'consumer',
        name: 'process run',
        service: 'reporting-service',
        links: [{ traceId, spanId: '2'.padStart(16, '0'), attributes: {} }],
      }),
    ];
    expect(formatSpanTree(spans)).toEqual([
      `trace ${traceId}  4 spans, 2 services, 1.500 s, started 2023-11-14T22:13:20.000Z`,
      `PlaceOrder  order-service  server  1.500 s  unset  (parent ${caller} not received)`,
      '├─ send  order-service  producer  2.000 ms  unset',
      '└─ ReserveStock  order-service  client  10.000 ms  error',
      'process run  reporting-service  consumer  2.000 ms  unset',
      `  ↪ link to send  order-service  (span ${'2'.padStart(16, '0')})  ⇢ async hop: began 50.000 ms after the producer span ended`,
    ]);
  });
});
