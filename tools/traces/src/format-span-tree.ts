import {
  buildSpanTree,
  summarize,
  type ReceivedSpan,
  type SpanTreeNode,
} from '@switchboard/otlp-receiver';
import { formatDuration, isoTime, nanosBetween } from './format-duration';

/**
 * A trace as an indented tree, one span a line:
 *   name  service  kind  duration  status
 * under a header with the trace's extent. Below a span, `↪` lines show its
 * links; a consumer span whose parent or link is a producer is marked with
 * the asynchronous hop: how long after the producer span ended it began.
 */
export function formatSpanTree(spans: readonly ReceivedSpan[]): string[] {
  const summary = summarize(spans);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const services = summary.services.length;
  const lines = [
    `trace ${summary.traceId}  ${summary.spanCount} span${summary.spanCount === 1 ? '' : 's'}, ` +
      `${services} service${services === 1 ? '' : 's'}, ${formatDuration(summary.durationMs)}, ` +
      `started ${isoTime(summary.startTimeUnixNano)}`,
  ];

  function visit(node: SpanTreeNode, lead: string, branch: string, childLead: string): void {
    const span = node.span;
    const parent = span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId);
    const marks: string[] = [];
    if (node.parentMissing) marks.push(`(parent ${span.parentSpanId} not received)`);
    if (parent && parent.kind === 'producer' && span.kind === 'consumer')
      marks.push(asyncHop(parent, span));
    lines.push(
      `${lead}${branch}${span.name}  ${span.service}  ${span.kind}  ${formatDuration(span.durationMs)}  ` +
        `${status(span)}${marks.length ? `  ${marks.join('  ')}` : ''}`,
    );
    // Link lines sit under the span's name, and keep the line down to its children.
    const below = `${lead}${childLead}${node.children.length ? '│ ' : '  '}`;
    for (const link of span.links) {
      const target = link.traceId === span.traceId ? byId.get(link.spanId) : undefined;
      // The hop is marked once: on the parent line when the producer is also the parent.
      const hop =
        target && target !== parent && target.kind === 'producer' && span.kind === 'consumer'
          ? `  ${asyncHop(target, span)}`
          : '';
      lines.push(
        target
          ? `${below}↪ link to ${target.name}  ${target.service}  (span ${link.spanId})${hop}`
          : `${below}↪ link to span ${link.spanId} of trace ${link.traceId}`,
      );
    }
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1;
      visit(child, `${lead}${childLead}`, last ? '└─ ' : '├─ ', last ? '   ' : '│  ');
    });
  }

  for (const root of buildSpanTree(spans)) visit(root, '', '', '');
  return lines;
}

function status(span: ReceivedSpan): string {
  if (span.status.code !== 'error') return span.status.code;
  return span.status.message ? `error: ${span.status.message}` : 'error';
}

function asyncHop(producer: ReceivedSpan, consumer: ReceivedSpan): string {
  const gap = nanosBetween(producer.endTimeUnixNano, consumer.startTimeUnixNano);
  return `⇢ async hop: began ${formatDuration(gap)} after the producer span ended`;
}
