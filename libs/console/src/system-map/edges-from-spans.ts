import { create } from '@bufbuild/protobuf';
import { EdgeKind, SystemEdgeSchema, type SystemEdge } from '@switchboard/contracts';
import type { AttributeValue, ReceivedSpan } from '@switchboard/otlp-receiver';

/** The broker's and the database's node ids on the map. */
export const kafkaNodeId = 'kafka';
export const postgresNodeId = 'postgres';

/** At most this many labels per edge: a map shows a few methods, not a whole API. */
const maxLabels = 20;

interface Draft {
  from: string;
  to: string;
  kind: EdgeKind;
  labels: Set<string>;
  spans: number;
}

/**
 * The arrows of the system map, drawn only from what the spans show:
 * - a server span whose parent belongs to another service is a call from that
 *   service (CALL, labelled by the server span's name, the method), whether the
 *   parent is a client span or the edge's own server span;
 * - a producer span publishes to the broker (PRODUCE, by topic);
 * - a consumer span takes from it (CONSUME, by topic);
 * - a span with a `db.system` attribute is a statement on the database (QUERY).
 */
export function edgesFromSpans(spans: Iterable<ReceivedSpan>): SystemEdge[] {
  const all = [...spans];
  const byId = new Map(all.map((s) => [`${s.traceId}/${s.spanId}`, s]));
  const drafts = new Map<string, Draft>();

  function add(from: string, to: string, kind: EdgeKind, label: string | undefined): void {
    const key = `${from}\u0000${to}\u0000${kind}`;
    let draft = drafts.get(key);
    if (!draft) {
      draft = { from, to, kind, labels: new Set(), spans: 0 };
      drafts.set(key, draft);
    }
    draft.spans++;
    if (label && draft.labels.size < maxLabels) draft.labels.add(label);
  }

  for (const span of all) {
    if (isDatabaseSpan(span)) {
      add(span.service, postgresNodeId, EdgeKind.QUERY, text(span.attributes['db.operation.name']));
    } else if (span.kind === 'server' && span.parentSpanId) {
      const parent = byId.get(`${span.traceId}/${span.parentSpanId}`);
      if (parent && parent.service !== span.service) {
        add(parent.service, span.service, EdgeKind.CALL, span.name);
      }
    } else if (span.kind === 'producer') {
      add(span.service, kafkaNodeId, EdgeKind.PRODUCE, topicOf(span));
    } else if (span.kind === 'consumer') {
      add(kafkaNodeId, span.service, EdgeKind.CONSUME, topicOf(span));
    }
  }

  return [...drafts.values()]
    .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.kind - b.kind)
    .map((d) =>
      create(SystemEdgeSchema, {
        fromNode: d.from,
        toNode: d.to,
        kind: d.kind,
        labels: [...d.labels].sort(),
        spanCount: BigInt(d.spans),
      }),
    );
}

function isDatabaseSpan(span: ReceivedSpan): boolean {
  return (
    span.attributes['db.system'] !== undefined || span.attributes['db.system.name'] !== undefined
  );
}

/** The topic from the messaging conventions, else from the span's name (`<topic> publish`). */
function topicOf(span: ReceivedSpan): string | undefined {
  return text(span.attributes['messaging.destination.name']) ?? span.name.split(' ')[0];
}

function text(value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
