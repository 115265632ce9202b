import { EdgeKind } from '@switchboard/contracts';
import type { ReceivedSpan } from '@switchboard/otlp-receiver';
import { createTestSpan } from '@switchboard/otlp-receiver/testing';
import { edgesFromSpans } from './edges-from-spans';

const span = (spanId: string, fields: Partial<ReceivedSpan>) =>
  createTestSpan({ spanId: spanId.padStart(16, '0'), ...fields });
const parent = (spanId: string) => ({ parentSpanId: spanId.padStart(16, '0') });

const shown = (spans: ReceivedSpan[]) =>
  edgesFromSpans(spans).map((e) => [
    e.fromNode,
    e.toNode,
    EdgeKind[e.kind],
    e.labels,
    Number(e.spanCount),
  ]);

describe('edgesFromSpans', () => {
  it('draws calls, topics and queries from the spans alone', () => {
    const spans = [
      span('1', { service: 'edge-gateway', kind: 'server', name: 'POST /v1/orders' }),
      // The edge's server span is the parent of order's: a call, with no client span between.
      span('2', {
        service: 'order-service',
        kind: 'server',
        name: 'order.v1.Order/Place',
        ...parent('1'),
      }),
      span('3', {
        service: 'order-service',
        kind: 'client',
        name: 'inv.v1.Inv/Reserve',
        ...parent('2'),
      }),
      span('4', {
        service: 'inventory-service',
        kind: 'server',
        name: 'inv.v1.Inv/Reserve',
        ...parent('3'),
      }),
      span('5', {
        service: 'inventory-service',
        kind: 'client',
        name: 'SELECT',
        attributes: { 'db.system.name': 'postgresql', 'db.operation.name': 'SELECT' },
        ...parent('4'),
      }),
      span('6', {
        service: 'order-service',
        kind: 'producer',
        name: 'sales.orders.v1 publish',
        attributes: { 'messaging.destination.name': 'sales.orders.v1' },
        ...parent('2'),
      }),
      span('7', {
        service: 'reporting-service',
        kind: 'consumer',
        name: 'sales.orders.v1 process',
        ...parent('6'),
      }),
      // A second call of another method on the same edge.
      span('8', {
        service: 'order-service',
        kind: 'client',
        name: 'inv.v1.Inv/Release',
        ...parent('2'),
      }),
      span('9', {
        service: 'inventory-service',
        kind: 'server',
        name: 'inv.v1.Inv/Release',
        ...parent('8'),
      }),
      // Within one service, and a server span whose parent is not in the store: no arrows.
      span('a', { service: 'order-service', kind: 'internal', ...parent('2') }),
      span('b', { service: 'post-service', kind: 'server', ...parent('ff') }),
    ];
    expect(shown(spans)).toEqual([
      ['edge-gateway', 'order-service', 'CALL', ['order.v1.Order/Place'], 1],
      ['inventory-service', 'postgres', 'QUERY', ['SELECT'], 1],
      ['kafka', 'reporting-service', 'CONSUME', ['sales.orders.v1'], 1],
      [
        'order-service',
        'inventory-service',
        'CALL',
        ['inv.v1.Inv/Release', 'inv.v1.Inv/Reserve'],
        2,
      ],
      ['order-service', 'kafka', 'PRODUCE', ['sales.orders.v1'], 1],
    ]);
  });

  it('draws nothing from no spans', () => {
    expect(edgesFromSpans([])).toEqual([]);
  });
});
