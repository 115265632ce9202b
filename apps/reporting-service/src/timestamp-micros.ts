import type { Timestamp } from '@bufbuild/protobuf/wkt';

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range google.protobuf.Timestamp allows. */
const MIN_SECONDS = -62_135_596_800n;
const MAX_SECONDS = 253_402_300_799n;

export type Rounding = 'floor' | 'ceil';

/** Whether a Timestamp is one the protobuf spec allows; nothing else reaches a query. */
export function isValidTimestamp(ts: Timestamp): boolean {
  return (
    ts.seconds >= MIN_SECONDS &&
    ts.seconds <= MAX_SECONDS &&
    Number.isInteger(ts.nanos) &&
    ts.nanos >= 0 &&
    ts.nanos <= 999_999_999
  );
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/**
 * The timestamp as an ISO 8601 string with microseconds, PostgreSQL's
 * precision. A JS Date keeps only milliseconds, which would move a bound
 * such as 12:00:00.0005 onto the wrong side of an order placed at 12:00:00.000.
 * Order times are floored; bounds are rounded up, because for a time t stored
 * in whole microseconds, t >= b exactly when t >= ceil(b), and t < b exactly
 * when t < ceil(b).
 */
export function timestampToMicrosIso(ts: Timestamp, rounding: Rounding): string {
  const subMicro = ts.nanos % 1000;
  const micros =
    BigInt(Math.floor(ts.nanos / 1000)) + (rounding === 'ceil' && subMicro > 0 ? 1n : 0n);
  const total = ts.seconds * 1_000_000n + micros;
  const seconds = floorDiv(total, 1_000_000n);
  const fraction = total - seconds * 1_000_000n;
  // Rounding the last representable instant up lands on the first one past
  // year 9999, which toISOString would write in its six-digit form.
  if (seconds > MAX_SECONDS) return '10000-01-01T00:00:00.000000Z';
  // toISOString writes years 0001 to 9999 with four digits, which PostgreSQL reads back.
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}.${fraction.toString().padStart(6, '0')}Z`;
}
