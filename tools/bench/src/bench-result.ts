// What every measurement module hands back to the orchestrator: rows of
// medians with their spread, optionally next to a baseline measured in the
// same run, so the printed table and docs/benchmarks.md are built from one
// shape whatever was measured.
import type { Summary } from './stats';

export interface Goal {
  /** How the goal reads in the table, e.g. "≥ 0.80× raw" or "< 50 ms". */
  readonly text: string;
  /** Whether the measured medians meet it. */
  readonly met: boolean;
}

export interface ResultRow {
  /** What was varied inside the section, e.g. "PlaceOrder c=32, PostgreSQL". */
  readonly subject: string;
  readonly metric: string;
  readonly unit: string;
  readonly value: Summary;
  /** Present for comparisons: the baseline's samples from the same alternating rounds. */
  readonly baseline?: Summary;
  /** What the baseline is, e.g. "raw grpc-js". */
  readonly baselineName?: string;
  readonly goal?: Goal;
}

export interface SectionResult {
  readonly title: string;
  /** How it was measured, one short paragraph for docs/benchmarks.md. */
  readonly method: string;
  readonly rows: readonly ResultRow[];
  /** Caveats and anything not measured, printed under the table. */
  readonly notes: readonly string[];
}

/** value / baseline of the medians, when there is a baseline. */
export function ratioOf(row: ResultRow): number | undefined {
  if (row.baseline === undefined) return undefined;
  const ratio = row.value.median / row.baseline.median;
  return Number.isFinite(ratio) ? ratio : undefined;
}

/** A section that could not run: the table says so instead of silently omitting it. */
export function failedSection(title: string, method: string, err: unknown): SectionResult {
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return { title, method, rows: [], notes: [`NOT MEASURED: ${message}`] };
}
