/** Milliseconds as a short human duration: `0.412 ms`, `42.1 ms`, `1.234 s`. */
export function formatDuration(ms: number): string {
  if (Math.abs(ms) >= 1000) return `${(ms / 1000).toFixed(3)} s`;
  if (Math.abs(ms) >= 100) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(3)} ms`;
}

/** The time between two nanosecond timestamps (decimal strings), in milliseconds. */
export function nanosBetween(from: string, to: string): number {
  return Number((BigInt(to) - BigInt(from)) / 1000n) / 1000;
}

export function isoTime(nanos: string): string {
  return new Date(Number(BigInt(nanos) / 1_000_000n)).toISOString();
}
