import type { ReceivedMetricPoint } from '@switchboard/otlp-receiver';
import { percentileOf, rpcRatesOf } from './rpc-rates';

const histogram = (fields: Partial<ReceivedMetricPoint>): ReceivedMetricPoint => ({
  service: 'order-service',
  name: 'rpc.server.duration',
  unit: 'ms',
  kind: 'histogram',
  temporality: 'delta',
  attributes: { 'rpc.grpc.status_code': 0 },
  startTimeUnixNano: '0',
  timeUnixNano: '1',
  count: 0,
  explicitBounds: [10, 100],
  bucketCounts: [0, 0, 0],
  ...fields,
});

describe('rpcRatesOf', () => {
  it('gives requests per second, the ratio of server failures and the p99 per service', () => {
    const rates = rpcRatesOf(
      [
        histogram({ count: 90, bucketCounts: [90, 0, 0] }),
        // NOT_FOUND is the caller's problem; INTERNAL is the service's.
        histogram({ count: 5, bucketCounts: [0, 5, 0], attributes: { 'rpc.grpc.status_code': 5 } }),
        histogram({
          count: 5,
          bucketCounts: [0, 5, 0],
          attributes: { 'rpc.grpc.status_code': 13 },
        }),
        // The edge's HTTP histogram is in seconds, and a 5xx is its failure.
        histogram({
          service: 'edge-gateway',
          name: 'http.server.request.duration',
          unit: 's',
          count: 4,
          explicitBounds: [0.01, 0.1],
          bucketCounts: [0, 4, 0],
          attributes: { 'http.response.status_code': 503 },
        }),
        // Other metrics are not calls.
        histogram({ name: 'rpc.client.duration', count: 1000, bucketCounts: [1000, 0, 0] }),
      ],
      10_000,
    );
    expect(rates.get('order-service')).toEqual({
      requestsPerSecond: 10,
      errorRatio: 0.05,
      // The 99th of 100 values falls in (10, 100], 9 of its 10 values in: 10 + 0.9 × 90.
      p99Ms: 91,
    });
    expect(rates.get('edge-gateway')).toEqual({
      requestsPerSecond: 0.4,
      errorRatio: 1,
      p99Ms: expect.closeTo(99.1, 6),
    });
    expect(rates.has('post-service')).toBe(false);
  });

  it('leaves health probes and reflection out: they are not the service traffic', () => {
    const rates = rpcRatesOf(
      [
        histogram({ count: 10, bucketCounts: [10, 0, 0] }),
        // A page's health Watch stream ends after minutes: it would be the p99.
        histogram({
          count: 1,
          bucketCounts: [0, 0, 1],
          attributes: { 'rpc.service': 'grpc.health.v1.Health', 'rpc.grpc.status_code': 1 },
        }),
        histogram({
          count: 3,
          bucketCounts: [3, 0, 0],
          attributes: {
            'rpc.service': 'grpc.reflection.v1.ServerReflection',
            'rpc.grpc.status_code': 0,
          },
        }),
      ],
      10_000,
    );
    expect(rates.get('order-service')).toEqual({
      requestsPerSecond: 1,
      errorRatio: 0,
      p99Ms: expect.closeTo(9.9, 6),
    });
  });

  it('says the lower bound when the quantile falls in the open last bucket', () => {
    expect(percentileOf([{ lower: 100, upper: Infinity, count: 3 }], 0.99)).toBe(100);
    expect(percentileOf([], 0.99)).toBe(0);
  });
});
