import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  HealthStatus,
  NodeKind,
  SystemNodeSchema,
  WatchSystemResponseSchema,
  type SystemNode,
  type WatchSystemResponse,
} from '@switchboard/contracts';
import type { ConsoleMethods } from '../console-methods';
import { edgesFromSpans, kafkaNodeId, postgresNodeId } from './edges-from-spans';
import { hostPortOf } from './host-port-of';
import { maskDatabaseUrl } from './mask-database-url';
import { probeEdge } from './probe-edge';
import { probeTcp } from './probe-tcp';
import { rpcRatesOf } from './rpc-rates';
import type { SystemMapOptions } from './system-map-options';
import { watchServiceHealth } from './watch-service-health';

const defaultWindowMs = 60_000;
const defaultProbeTimeoutMs = 1_000;

/** Where a node's health comes from besides grpc.health.v1: probed on every refresh. */
interface ProbedNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly address: string;
  probe(): Promise<HealthStatus>;
}

/** WatchSystem: the system map, streamed. */
export function createSystemMapMethods(options: SystemMapOptions): ConsoleMethods {
  const windowMs = options.windowMs ?? defaultWindowMs;
  const probeTimeoutMs = options.probeTimeoutMs ?? defaultProbeTimeoutMs;
  if (!(options.refreshMs > 0)) throw new RangeError('refreshMs must be positive');
  const services = options.targets.filter((t) => t.kind === 'service');
  const probed = probedNodes(options, probeTimeoutMs);

  function snapshot(health: ReadonlyMap<string, HealthStatus>): WatchSystemResponse {
    const now = options.clock.now();
    const points = options.store.metrics.since(BigInt(now - windowMs) * 1_000_000n);
    const rates = rpcRatesOf(points, windowMs);
    const node = (id: string, kind: NodeKind, address: string): SystemNode => {
      const r = rates.get(id);
      return create(SystemNodeSchema, {
        id,
        kind,
        address,
        health: health.get(id) ?? HealthStatus.UNSPECIFIED,
        requestsPerSecond: r?.requestsPerSecond ?? 0,
        errorRatio: r?.errorRatio ?? 0,
        p99Ms: r?.p99Ms ?? 0,
      });
    };
    return create(WatchSystemResponseSchema, {
      nodes: [
        ...services.map((t) => node(t.id, NodeKind.SERVICE, t.address)),
        ...probed.map((p) => node(p.id, p.kind, p.address)),
      ],
      edges: edgesFromSpans(options.store.spans.all()),
      telemetry: options.store.stats(),
      observedAt: timestampFromMs(now),
    });
  }

  return {
    async *watchSystem(_request, context) {
      // Ends the watches and the refresh however the stream ends: the client
      // going away aborts the context, but a consumer may also just stop reading.
      const stop = new AbortController();
      const signal = AbortSignal.any([context.signal, stop.signal]);
      const health = new Map<string, HealthStatus>();
      // Set when something changed since the last snapshot; `wake` ends the wait for it.
      let dirty = false;
      let wake: (() => void) | undefined;
      const notify = () => {
        dirty = true;
        wake?.();
      };
      const setHealth = (id: string, status: HealthStatus) => {
        if (health.get(id) === status) return;
        health.set(id, status);
        notify();
      };
      signal.addEventListener('abort', notify);

      const watches = services.map((t) =>
        watchServiceHealth({
          address: t.address,
          tls: options.tls,
          clock: options.clock,
          retryMs: options.refreshMs,
          signal,
          onStatus: (status) => setHealth(t.id, status),
        }),
      );
      const probeAll = async () => {
        const results = await Promise.all(probed.map((p) => p.probe()));
        probed.forEach((p, i) => health.set(p.id, results[i]!));
      };
      let timer = options.clock.setTimeout(refresh, options.refreshMs);
      function refresh() {
        // Rates and edges move with every export: a refresh always sends, changed or not.
        void probeAll().then(() => {
          if (signal.aborted) return;
          notify();
          timer = options.clock.setTimeout(refresh, options.refreshMs);
        });
      }
      try {
        await probeAll();
        while (!signal.aborted) {
          dirty = false;
          yield snapshot(health);
          if (!dirty) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        }
      } finally {
        stop.abort();
        timer.cancel();
        signal.removeEventListener('abort', notify);
        await Promise.allSettled(watches);
      }
    },
  };
}

function probedNodes(options: SystemMapOptions, timeoutMs: number): ProbedNode[] {
  const nodes: ProbedNode[] = options.targets
    .filter((t) => t.kind === 'edge')
    .map((t) => ({
      id: t.id,
      kind: NodeKind.EDGE,
      address: t.address,
      probe: () => probeEdge(t.address, timeoutMs),
    }));
  const brokers = options.kafkaBrokers.flatMap((b) => hostPortOf(b, 9092) ?? []);
  nodes.push({
    id: kafkaNodeId,
    kind: NodeKind.BROKER,
    address: options.kafkaBrokers.join(','),
    async probe() {
      const up = await Promise.all(brokers.map((b) => probeTcp(b.host, b.port, timeoutMs)));
      return up.some(Boolean) ? HealthStatus.SERVING : HealthStatus.UNREACHABLE;
    },
  });
  if (options.databaseUrl !== undefined) {
    const db = hostPortOf(options.databaseUrl, 5432);
    nodes.push({
      id: postgresNodeId,
      kind: NodeKind.DATABASE,
      address: maskDatabaseUrl(options.databaseUrl),
      async probe() {
        return db && (await probeTcp(db.host, db.port, timeoutMs))
          ? HealthStatus.SERVING
          : HealthStatus.UNREACHABLE;
      },
    });
  }
  return nodes;
}
