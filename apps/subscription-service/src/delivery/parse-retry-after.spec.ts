import { parseRetryAfter } from './parse-retry-after';

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 30, 15, 0, 0);

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
  });

  it('reads an HTTP date as the time left until it, and a past date as 0', () => {
    expect(parseRetryAfter('Mon, 30 Nov 2026 15:00:42 GMT', now)).toBe(42_000);
    expect(parseRetryAfter('Monday, 30-Nov-26 15:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Mon, 30 Nov 2026 14:00:00 GMT', now)).toBe(0);
  });

  it('gives undefined for anything else', () => {
    for (const value of [null, undefined, '', 'soon', '-3', '1.5', '12abc', 'Mon, garbage']) {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    }
  });
});
