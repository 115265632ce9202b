import { sortByStart } from './create-span-store';
import type { ReceivedSpan } from './received-span';

export interface SpanTreeNode {
  readonly span: ReceivedSpan;
  readonly children: SpanTreeNode[];
  /** The span names a parent that is not among the spans (not received, or dropped). */
  readonly parentMissing: boolean;
}

/**
 * The spans of one trace as a forest: children under their parent in start
 * order, and as roots the real root plus any span whose parent is missing, so
 * a partly received trace still shows everything it has.
 */
export function buildSpanTree(spans: readonly ReceivedSpan[]): SpanTreeNode[] {
  const sorted = sortByStart([...spans]);
  const nodes = new Map<string, SpanTreeNode>();
  for (const span of sorted) {
    const parentMissing =
      span.parentSpanId !== undefined && !sorted.some((s) => s.spanId === span.parentSpanId);
    nodes.set(span.spanId, { span, children: [], parentMissing });
  }
  const roots: SpanTreeNode[] = [];
  for (const span of sorted) {
    const node = nodes.get(span.spanId)!;
    const parent = span.parentSpanId === undefined ? undefined : nodes.get(span.parentSpanId);
    // A span naming itself as parent would hang a tree walk; treat it as a root.
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}
