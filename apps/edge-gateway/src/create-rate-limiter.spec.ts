import { createRateLimiter } from './create-rate-limiter';

describe('the per-client rate limiter', () => {
  it('lets a burst through, refuses the next with the exact wait, and refills with time', () => {
    let now = 1_000_000;
    const limiter = createRateLimiter({ burst: 3, refillEveryMs: 1_000, now: () => now });
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterMs: 1_000 });
    now += 400;
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterMs: 600 });
    now += 600;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('counts each client apart', () => {
    const limiter = createRateLimiter({ burst: 1, refillEveryMs: 60_000, now: () => 0 });
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('keeps answering under a flood of clients, holding at most maxClients buckets', () => {
    let now = 0;
    const limiter = createRateLimiter({
      burst: 2,
      refillEveryMs: 1_000,
      now: () => now,
      maxClients: 10,
    });
    limiter.take('busy');
    limiter.take('busy');
    for (let i = 0; i < 1_000; i++) limiter.take(`c${i}`);
    now += 1;
    expect(limiter.take('flood-end').allowed).toBe(true);
    expect(limiter.take('flood-end').allowed).toBe(true);
    expect(limiter.take('flood-end').allowed).toBe(false);
  });
});
