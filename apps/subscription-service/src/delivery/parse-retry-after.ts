/**
 * A `Retry-After` header as milliseconds from `nowMs`: delay-seconds or an
 * HTTP date (RFC 9110 10.2.3). A date in the past is 0. Anything else is
 * undefined, and the caller falls back to its own back-off rather than
 * trusting a value it cannot read.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1_000 : undefined;
  }
  // An HTTP date starts with its weekday, e.g. "Wed, 21 Oct 2015 07:28:00 GMT";
  // requiring it keeps Date.parse from reading a bare "12.5" or "-3" as a date.
  if (!/^[A-Za-z]{3,9},? .*\d/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
