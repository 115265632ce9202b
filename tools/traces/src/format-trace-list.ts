import type { TraceSummary } from '@switchboard/otlp-receiver';
import { formatDuration, isoTime } from './format-duration';

/** One line per trace, under a header: what `traces list` prints. */
export function formatTraceList(traces: readonly TraceSummary[]): string[] {
  const rows = traces.map((t) => [
    t.traceId,
    isoTime(t.startTimeUnixNano),
    formatDuration(t.durationMs),
    String(t.spanCount) +
      (t.errorCount ? ` (${t.errorCount} error${t.errorCount === 1 ? '' : 's'})` : ''),
    t.services.join(','),
    `${t.root.service}: ${t.root.name}`,
  ]);
  const header = ['TRACE', 'STARTED', 'DURATION', 'SPANS', 'SERVICES', 'ROOT'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // The last column is not padded, so lines carry no trailing spaces.
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)];
}
