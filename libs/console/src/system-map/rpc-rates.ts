import type { ReceivedMetricPoint } from '@switchboard/otlp-receiver';

/** A node's traffic over a window, as the map shows it. */
export interface RpcRates {
  readonly requestsPerSecond: number;
  /** Failed calls over all calls, 0..1. */
  readonly errorRatio: number;
  /** Estimated from the histogram's buckets; 0 when there were no calls. */
  readonly p99Ms: number;
}

/** The server duration histograms the services and the edge export, with their unit's factor to milliseconds. */
export const serverDurationMetrics: Readonly<Record<string, number>> = {
  'rpc.server.duration': 1,
  'http.server.request.duration': 1000,
};

/**
 * gRPC codes the RPC conventions count as a server's failure. A caller's
 * mistake (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED...) is the service
 * working as designed, so it does not make the node look unwell.
 */
const serverErrorCodes = new Set([2, 4, 12, 13, 14, 15]);

function isFailure(point: ReceivedMetricPoint): boolean {
  const grpc = point.attributes['rpc.grpc.status_code'];
  if (typeof grpc === 'number') return serverErrorCodes.has(grpc);
  const http = point.attributes['http.response.status_code'];
  return typeof http === 'number' && http >= 500;
}

/**
 * Calls that are the platform's, not the service's traffic: health probes
 * (the console's own Watch streams last as long as a page is open, and would
 * put minutes into the p99) and reflection (the explorer's).
 */
const infrastructureServices = new Set([
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
]);

function isInfrastructure(point: ReceivedMetricPoint): boolean {
  const service = point.attributes['rpc.service'];
  return typeof service === 'string' && infrastructureServices.has(service);
}

interface Bucket {
  lower: number;
  upper: number;
  count: number;
}

/**
 * Requests per second, error ratio and p99 per service from the delta points
 * of the server duration histograms that ended inside the window.
 */
export function rpcRatesOf(
  points: readonly ReceivedMetricPoint[],
  windowMs: number,
): Map<string, RpcRates> {
  const perService = new Map<string, { count: number; failed: number; buckets: Bucket[] }>();
  for (const point of points) {
    const toMs = serverDurationMetrics[point.name];
    if (toMs === undefined || point.kind !== 'histogram' || !point.count) continue;
    if (isInfrastructure(point)) continue;
    let acc = perService.get(point.service);
    if (!acc) {
      acc = { count: 0, failed: 0, buckets: [] };
      perService.set(point.service, acc);
    }
    acc.count += point.count;
    if (isFailure(point)) acc.failed += point.count;
    const bounds = point.explicitBounds ?? [];
    (point.bucketCounts ?? []).forEach((count, i) => {
      if (count > 0) {
        acc.buckets.push({
          lower: i === 0 ? 0 : bounds[i - 1]! * toMs,
          upper: i < bounds.length ? bounds[i]! * toMs : Infinity,
          count,
        });
      }
    });
  }
  const seconds = windowMs / 1000;
  return new Map(
    [...perService].map(([service, acc]) => [
      service,
      {
        requestsPerSecond: acc.count / seconds,
        errorRatio: acc.count === 0 ? 0 : acc.failed / acc.count,
        p99Ms: percentileOf(acc.buckets, 0.99),
      },
    ]),
  );
}

/**
 * The q-quantile of bucketed values, interpolating linearly inside the bucket
 * where it falls (as Prometheus' histogram_quantile does); in the open last
 * bucket, its lower bound, the largest value known for sure.
 */
export function percentileOf(buckets: readonly Bucket[], q: number): number {
  // The same bucket of several series (methods, status codes) is one bucket.
  const merged = new Map<string, Bucket>();
  for (const b of buckets) {
    const key = `${b.lower}/${b.upper}`;
    const seen = merged.get(key);
    merged.set(key, seen ? { ...seen, count: seen.count + b.count } : b);
  }
  const sorted = [...merged.values()].sort((a, b) => a.upper - b.upper || a.lower - b.lower);
  const total = sorted.reduce((sum, b) => sum + b.count, 0);
  if (total === 0) return 0;
  const rank = q * total;
  let seen = 0;
  for (const b of sorted) {
    if (seen + b.count >= rank) {
      if (b.upper === Infinity) return b.lower;
      return b.lower + ((rank - seen) / b.count) * (b.upper - b.lower);
    }
    seen += b.count;
  }
  return sorted[sorted.length - 1]!.lower;
}
