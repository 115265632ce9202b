import {
  EdgeKind,
  HealthStatus,
  NodeKind,
  type SystemEdge,
  type SystemNode,
  type WatchSystemResponse,
} from '@switchboard/contracts/console/v1/console_service_pb';
import { Empty, ErrorBox, Loading } from '../components/status-views';
import { useStream } from '../hooks/use-stream';
import { consoleClient } from '../lib/console-client';
import { formatTime } from '../lib/time';

const NODE_W = 150;
const NODE_H = 86;

interface Placed {
  readonly node: SystemNode;
  readonly x: number;
  readonly y: number;
}

/**
 * Where each node sits: the edge on top, the services in a row, the broker
 * and the database beneath them. Positions depend on kinds only, so the map
 * does not jump as rates change.
 */
function place(nodes: readonly SystemNode[]): { placed: Placed[]; width: number; height: number } {
  // In the console's own order (the calling services before the consuming ones).
  const services = nodes.filter((n) => n.kind === NodeKind.SERVICE);
  const edges = nodes.filter((n) => n.kind === NodeKind.EDGE);
  const infra = nodes.filter((n) => n.kind === NodeKind.BROKER || n.kind === NodeKind.DATABASE);
  const others = nodes.filter(
    (n) => !services.includes(n) && !edges.includes(n) && !infra.includes(n),
  );
  const gap = 40;
  const row = (list: SystemNode[], y: number, width: number): Placed[] => {
    const total = list.length * NODE_W + (list.length - 1) * gap;
    const x0 = (width - total) / 2;
    return list.map((node, i) => ({ node, x: x0 + i * (NODE_W + gap), y }));
  };
  const widest = Math.max(services.length, edges.length, infra.length + others.length, 1);
  const width = widest * NODE_W + (widest - 1) * gap + 80;
  const placed = [
    ...row(edges, 30, width),
    ...row(services, 220, width),
    ...row([...infra, ...others], 420, width),
  ];
  return { placed, width, height: 540 };
}

const healthName: Record<HealthStatus, string> = {
  [HealthStatus.UNSPECIFIED]: 'UNKNOWN',
  [HealthStatus.SERVING]: 'SERVING',
  [HealthStatus.NOT_SERVING]: 'NOT_SERVING',
  [HealthStatus.UNREACHABLE]: 'UNREACHABLE',
};

const edgeKindName: Record<EdgeKind, string> = {
  [EdgeKind.UNSPECIFIED]: 'edge',
  [EdgeKind.CALL]: 'call',
  [EdgeKind.PRODUCE]: 'produce',
  [EdgeKind.CONSUME]: 'consume',
  [EdgeKind.QUERY]: 'query',
};

function shortLabel(labels: readonly string[]): string {
  const short = labels.map((l) => l.slice(l.lastIndexOf('/') + 1));
  return short.length > 2
    ? `${short.slice(0, 2).join(', ')} +${short.length - 2}`
    : short.join(', ');
}

function Arrow({
  edge,
  from,
  to,
  index,
}: {
  edge: SystemEdge;
  from: Placed;
  to: Placed;
  index: number;
}) {
  const fx = from.x + NODE_W / 2;
  const tx = to.x + NODE_W / 2;
  let fy = from.y + NODE_H / 2;
  let ty = to.y + NODE_H / 2;
  if (to.y > from.y) {
    fy = from.y + NODE_H;
    ty = to.y;
  } else if (to.y < from.y) {
    fy = from.y;
    ty = to.y + NODE_H;
  } else {
    fy = from.y;
    ty = to.y;
  }
  // Arrows between nodes of one row bow upwards; others bend a little so that
  // produce and consume arrows between the same two nodes stay apart.
  const sameRow = from.y === to.y;
  const bend = sameRow ? -60 - 12 * (index % 4) : edge.kind === EdgeKind.CONSUME ? 30 : -30;
  const mx = (fx + tx) / 2 + (sameRow ? 0 : bend);
  const my = (fy + ty) / 2 + (sameRow ? bend : 0);
  // A query arrow's colour says enough; its statements are in the tooltip.
  const label = edge.kind === EdgeKind.QUERY ? '' : shortLabel(edge.labels);
  const kind = edgeKindName[edge.kind];
  return (
    <g
      class={`map-edge edge-${kind}`}
      data-testid="map-edge"
      data-from={edge.fromNode}
      data-to={edge.toNode}
      data-kind={kind.toUpperCase()}
    >
      <path d={`M ${fx} ${fy} Q ${mx} ${my} ${tx} ${ty}`} marker-end={`url(#arrow-${kind})`} />
      {/* Labels of arrows that leave one node side by side are staggered to stay legible. */}
      <text
        x={(fx + 2 * mx + tx) / 4}
        y={(fy + 2 * my + ty) / 4 - 4 + (sameRow ? 0 : 12 * (index % 3))}
        text-anchor="middle"
      >
        <title>{`${kind}: ${edge.labels.join(', ')} (${edge.spanCount} spans)`}</title>
        {label}
      </text>
    </g>
  );
}

function NodeBox({ at }: { at: Placed }) {
  const { node, x, y } = at;
  const health = healthName[node.health];
  return (
    <g
      class={`map-node health-${health.toLowerCase()}`}
      data-testid={`map-node-${node.id}`}
      data-health={health}
      transform={`translate(${x} ${y})`}
    >
      <title>{node.address}</title>
      <rect width={NODE_W} height={NODE_H} rx={8} />
      <text x={10} y={20} class="node-name">
        {node.id}
      </text>
      <circle cx={16} cy={36} r={5} class="badge" />
      <text x={26} y={40} class="node-health" data-testid="map-node-health">
        {health}
      </text>
      {node.kind === NodeKind.SERVICE || node.kind === NodeKind.EDGE ? (
        <>
          <text x={10} y={60} class="node-stat">
            {node.requestsPerSecond.toFixed(1)} req/s · {(node.errorRatio * 100).toFixed(1)}% err
          </text>
          <text x={10} y={76} class="node-stat">
            p99 {node.p99Ms.toFixed(1)} ms
          </text>
        </>
      ) : (
        <text x={10} y={60} class="node-stat">
          {/* A database URL's host, port and name fit the box; the whole is in the tooltip. */}
          {node.address.slice(node.address.lastIndexOf('@') + 1)}
        </text>
      )}
    </g>
  );
}

function SystemMap({ system }: { system: WatchSystemResponse }) {
  const { placed, width, height } = place(system.nodes);
  const byId = new Map(placed.map((p) => [p.node.id, p]));
  return (
    <svg class="system-map" viewBox={`0 0 ${width} ${height}`} data-testid="system-map" role="img">
      <defs>
        {Object.values(edgeKindName).map((kind) => (
          <marker
            key={kind}
            id={`arrow-${kind}`}
            class={`edge-${kind}`}
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" />
          </marker>
        ))}
      </defs>
      {system.edges.map((edge, i) => {
        const from = byId.get(edge.fromNode);
        const to = byId.get(edge.toNode);
        return from && to ? (
          <Arrow
            key={`${edge.fromNode}-${edge.toNode}-${edge.kind}`}
            edge={edge}
            from={from}
            to={to}
            index={i}
          />
        ) : null;
      })}
      {placed.map((p) => (
        <NodeBox key={p.node.id} at={p} />
      ))}
    </svg>
  );
}

function TelemetryStats({ system }: { system: WatchSystemResponse }) {
  return (
    <table class="telemetry" data-testid="telemetry">
      <thead>
        <tr>
          <th>signal</th>
          <th>items</th>
          <th>bytes</th>
          <th>dropped</th>
          <th>rejected requests</th>
        </tr>
      </thead>
      <tbody>
        {system.telemetry.map((s) => (
          <tr key={s.signal} data-testid={`telemetry-${s.signal}`}>
            <td>{s.signal}</td>
            <td>
              {s.items.toString()} / {s.maxItems.toString()}
            </td>
            <td>
              {s.bytes.toString()} / {s.maxBytes.toString()}
            </td>
            <td class={s.dropped > 0n ? 'warn' : ''}>dropped {s.dropped.toString()}</td>
            <td class={s.rejectedRequests > 0n ? 'warn' : ''}>{s.rejectedRequests.toString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function MapView() {
  const stream = useStream(
    (signal) => consoleClient.watchSystem({}, { signal }),
    (m: WatchSystemResponse) => m,
    'map',
    1,
    'replace',
  );
  const system = stream.items[0];
  return (
    <section data-testid="map-view">
      <h1>System map</h1>
      {stream.status === 'error' && (
        <ErrorBox error={stream.error ?? 'stream failed'} retry={stream.reconnect} />
      )}
      {stream.status === 'ended' && (
        <ErrorBox error="the console stopped sending the map" retry={stream.reconnect} />
      )}
      {!system && stream.status === 'open' && <Loading what="the system map" />}
      {system && system.nodes.length === 0 && <Empty>No nodes known yet.</Empty>}
      {system && system.nodes.length > 0 && (
        <>
          <p class="meta">
            Live · observed {formatTime(system.observedAt)} · arrows drawn from the traces in the
            store
          </p>
          <SystemMap system={system} />
          <div class="legend">
            {Object.values(edgeKindName)
              .slice(1)
              .map((k) => (
                <span key={k} class={`legend-${k}`}>
                  ━ {k}
                </span>
              ))}
          </div>
          <h2>Telemetry store</h2>
          <TelemetryStats system={system} />
        </>
      )}
    </section>
  );
}
