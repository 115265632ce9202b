// Summaries of repeated measurements. The suite reports medians with their
// full spread (min–max) rather than means: a single disturbed round on a
// shared machine moves a mean, not a median, and the spread shows that it
// happened.

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** The raw samples, one per round, in the order they were taken. */
  readonly samples: readonly number[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The value below which `p` (0–100) percent of the samples fall (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: readonly number[]): Summary {
  const finite = samples.filter((v) => Number.isFinite(v));
  return {
    median: median(finite),
    min: finite.length > 0 ? Math.min(...finite) : Number.NaN,
    max: finite.length > 0 ? Math.max(...finite) : Number.NaN,
    samples: [...samples],
  };
}

/**
 * Runs `variants` in alternating rounds (A B A B …) and collects each
 * variant's samples in its own list. Alternating spreads slow drift (another
 * process, thermal throttling, a JIT settling) over every variant alike,
 * which one block of A runs followed by one block of B runs would not.
 */
export async function alternate<K extends string, T>(
  rounds: number,
  variants: readonly K[],
  run: (variant: K, round: number) => Promise<T>,
): Promise<Record<K, T[]>> {
  const results = Object.fromEntries(variants.map((v) => [v, [] as T[]])) as Record<K, T[]>;
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) results[variant].push(await run(variant, round));
  }
  return results;
}
