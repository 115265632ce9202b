import { backoffDelay } from './backoff-delay';

describe('backoffDelay', () => {
  it('doubles from initialMs and stops at maxMs', () => {
    const backoff = { initialMs: 100, maxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(backoff, n))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
    // Attempt 0 and a very long outage stay in range.
    expect(backoffDelay(backoff, 0)).toBe(100);
    expect(backoffDelay(backoff, 10_000)).toBe(1_000);
  });

  it('full jitter spreads the delay over [0, delay)', () => {
    const backoff = { initialMs: 100, maxMs: 1_000, jitter: 'full' as const };
    expect(backoffDelay(backoff, 3, () => 0)).toBe(0);
    expect(backoffDelay(backoff, 3, () => 0.5)).toBe(200);
    expect(backoffDelay(backoff, 3, () => 0.999)).toBe(399);
  });

  it('a fractional jitter keeps the delay within ±fraction', () => {
    const backoff = { initialMs: 1_000, maxMs: 30_000, jitter: 0.2 };
    expect(backoffDelay(backoff, 1, () => 0)).toBe(800);
    expect(backoffDelay(backoff, 1, () => 0.5)).toBe(1_000);
    expect(backoffDelay(backoff, 1, () => 0.999_999)).toBe(1_200);
  });

  it('never waits longer than maxMs, even when initialMs is larger', () => {
    expect(backoffDelay({ initialMs: 10_000, maxMs: 1_000 }, 1)).toBe(1_000);
  });
});
