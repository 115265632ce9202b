import { retryBucket } from './retry-bucket';

describe('retryBucket', () => {
  it('sends a zero, negative or invalid delay straight back', () => {
    expect(retryBucket(0)).toBe(0);
    expect(retryBucket(-5)).toBe(0);
    expect(retryBucket(Number.NaN)).toBe(0);
  });

  it('keeps small delays exact', () => {
    for (const ms of [1, 2, 3, 4, 5, 6, 7]) expect(retryBucket(ms)).toBe(ms);
  });

  it('rounds up, never down, by at most a quarter', () => {
    for (let ms = 1; ms < 100_000; ms += 37) {
      const bucket = retryBucket(ms);
      expect(bucket).toBeGreaterThanOrEqual(ms);
      expect(bucket).toBeLessThanOrEqual(ms * 1.25);
    }
  });

  it('uses few distinct queues', () => {
    const buckets = new Set<number>();
    for (let ms = 1000; ms < 2000; ms++) buckets.add(retryBucket(ms));
    expect([...buckets]).toEqual([1024, 1280, 1536, 1792, 2048]);
  });

  it('caps at the largest TTL RabbitMQ accepts', () => {
    expect(retryBucket(1e12)).toBe(2 ** 32 - 1);
  });
});
