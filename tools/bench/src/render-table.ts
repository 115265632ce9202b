// The result table, as aligned text for the terminal and as Markdown for
// docs/benchmarks.md. Both show each median with its min–max spread and,
// for comparisons, the baseline from the same run and the ratio of medians.
import { ratioOf, type ResultRow, type SectionResult } from './bench-result';
import type { Summary } from './stats';

function digitsFor(value: number): number {
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return 0;
  if (magnitude >= 10) return 1;
  return 2;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', {
    maximumFractionDigits: digitsFor(value),
    minimumFractionDigits: 0,
  });
}

/** Small ratios keep three decimals, so that 0.009× does not read as 0.01×. */
export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(ratio < 0.1 ? 3 : 2)}×`;
}

function formatSummary(summary: Summary | undefined): { median: string; spread: string } {
  if (summary === undefined) return { median: '', spread: '' };
  // One sample has no spread; none means the figures came summarized (min and max only).
  const spread =
    summary.samples.length !== 1 && Number.isFinite(summary.min)
      ? `${formatNumber(summary.min)}–${formatNumber(summary.max)}`
      : '';
  return { median: formatNumber(summary.median), spread };
}

const HEADERS = [
  'measurement',
  'metric',
  'median',
  'min–max',
  'baseline',
  'median',
  'min–max',
  'ratio',
  'goal',
] as const;

function cells(row: ResultRow): string[] {
  const value = formatSummary(row.value);
  const base = formatSummary(row.baseline);
  const ratio = ratioOf(row);
  const goal = row.goal === undefined ? '' : `${row.goal.text} ${row.goal.met ? 'met' : 'MISSED'}`;
  return [
    row.subject,
    row.unit === '' ? row.metric : `${row.metric} (${row.unit})`,
    value.median,
    value.spread,
    row.baselineName ?? '',
    base.median,
    base.spread,
    ratio === undefined ? '' : formatRatio(ratio),
    goal,
  ];
}

/** Aligned plain text, one block per section. */
export function renderText(sections: readonly SectionResult[]): string {
  const lines: string[] = [];
  for (const section of sections) {
    const rows = section.rows.map(cells);
    const widths = HEADERS.map((header, i) =>
      Math.max(header.length, ...rows.map((row) => row[i]!.length)),
    );
    // Numbers read best right-aligned; names and goals left-aligned.
    const numeric = new Set([2, 3, 5, 6, 7]);
    const line = (row: readonly string[]) =>
      row
        .map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    lines.push('', `== ${section.title} ==`);
    if (rows.length > 0) {
      lines.push(line(HEADERS), line(widths.map((w) => '-'.repeat(w))));
      for (const row of rows) lines.push(line(row));
    }
    for (const note of section.notes) lines.push(`  note: ${note}`);
  }
  return lines.join('\n');
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|');
}

/** One Markdown table per section, with its method and notes. */
export function renderMarkdown(sections: readonly SectionResult[]): string {
  const out: string[] = [];
  for (const section of sections) {
    out.push(`### ${section.title}`, '', section.method, '');
    if (section.rows.length > 0) {
      out.push(`| ${HEADERS.join(' | ')} |`, `|${HEADERS.map(() => ' --- ').join('|')}|`);
      for (const row of section.rows) out.push(`| ${cells(row).map(escapeCell).join(' | ')} |`);
      out.push('');
    }
    for (const note of section.notes) out.push(`- ${note}`);
    if (section.notes.length > 0) out.push('');
  }
  return out.join('\n');
}

interface GoalLine {
  readonly subject: string;
  readonly measured: string;
  readonly goal: string;
  readonly verdict: string;
}

/** Every row with a goal: ratios where there is a baseline, medians otherwise. */
function goalLines(sections: readonly SectionResult[]): GoalLine[] {
  const lines: GoalLine[] = [];
  for (const section of sections) {
    for (const row of section.rows) {
      if (row.goal === undefined) continue;
      const ratio = ratioOf(row);
      const unit = row.unit === '' ? '' : ` ${row.unit}`;
      lines.push({
        subject: `${row.subject}: ${row.metric}`,
        measured:
          ratio === undefined
            ? `${formatNumber(row.value.median)}${unit}`
            : `${formatRatio(ratio)} ${row.baselineName ?? 'baseline'}`,
        goal: row.goal.text,
        verdict: row.goal.met ? 'met' : 'MISSED',
      });
    }
  }
  return lines;
}

/** The goals at a glance, as aligned text. */
export function renderGoalsText(sections: readonly SectionResult[]): string {
  const lines = goalLines(sections);
  if (lines.length === 0) return '';
  const w = (f: (l: GoalLine) => string, title: string) =>
    Math.max(title.length, ...lines.map((l) => f(l).length));
  const ws = [
    w((l) => l.subject, 'goal'),
    w((l) => l.measured, 'measured'),
    w((l) => l.goal, 'target'),
  ];
  const line = (a: string, b: string, c: string, d: string) =>
    `${a.padEnd(ws[0]!)}  ${b.padStart(ws[1]!)}  ${c.padEnd(ws[2]!)}  ${d}`.trimEnd();
  return [
    '',
    '== Goals ==',
    line('goal', 'measured', 'target', ''),
    line('-'.repeat(ws[0]!), '-'.repeat(ws[1]!), '-'.repeat(ws[2]!), '------'),
    ...lines.map((l) => line(l.subject, l.measured, l.goal, l.verdict)),
  ].join('\n');
}

/** The goals at a glance, as a Markdown table. */
export function renderGoalsMarkdown(sections: readonly SectionResult[]): string {
  const lines = goalLines(sections);
  if (lines.length === 0) return '';
  return [
    '| goal | measured | target | |',
    '| --- | --- | --- | --- |',
    ...lines.map(
      (l) =>
        `| ${escapeCell(l.subject)} | ${escapeCell(l.measured)} | ${escapeCell(l.goal)} | ${l.verdict} |`,
    ),
    '',
  ].join('\n');
}
