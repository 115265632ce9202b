import { clientAddressOf } from './client-address';
import { createMemoryBuckets } from './memory-buckets';
import { returnToken, takeToken, type BucketState } from './token-bucket';

const settings = { capacity: 3, refillEveryMs: 1_000 };

describe('takeToken', () => {
  it('allows a burst of capacity, then answers the exact wait for the next token', () => {
    let state: BucketState | undefined;
    const allowed: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const take = takeToken(state, 10_000, settings);
      allowed.push(take.allowed);
      state = take.state;
    }
    expect(allowed).toEqual([true, true, true, false]);
    expect(takeToken(state, 10_000, settings).retryAfterMs).toBe(1_000);
    expect(takeToken(state, 10_400, settings)).toMatchObject({ allowed: false, retryAfterMs: 600 });
    expect(takeToken(state, 11_000, settings).allowed).toBe(true);
  });

  it('refills to capacity and no further, and a clock stepping back drains nothing', () => {
    const empty = { tokens: 0, updatedAt: 0 };
    expect(takeToken(empty, 1_000_000, settings).state.tokens).toBe(2);
    expect(takeToken({ tokens: 1, updatedAt: 5_000 }, 1_000, settings)).toMatchObject({
      allowed: true,
      state: { tokens: 0 },
    });
  });

  it('gives a token back without passing capacity', () => {
    expect(returnToken({ tokens: 0.5, updatedAt: 0 }, 0, settings).tokens).toBe(1.5);
    expect(returnToken(undefined, 0, settings).tokens).toBe(3);
  });
});

describe('createMemoryBuckets', () => {
  it('keeps one bucket per key, forgets full ones and never holds more than maxKeys', () => {
    let now = 0;
    const buckets = createMemoryBuckets({ settings, now: () => now, maxKeys: 2 });
    for (let i = 0; i < 3; i++) expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('a')).toEqual({ allowed: false, retryAfterMs: 1_000 });
    expect(buckets.take('b').allowed).toBe(true);
    buckets.giveBack('a');
    expect(buckets.take('a').allowed).toBe(true);
    buckets.take('c');
    expect(buckets.size).toBe(2);
    // Left alone long enough to be full again, a bucket is dropped.
    now += 3_000;
    buckets.take('d');
    expect(buckets.size).toBe(1);
  });
});

describe('clientAddressOf', () => {
  it.each([
    ['127.0.0.1:51234', '127.0.0.1'],
    ['::ffff:10.1.2.3:443', '10.1.2.3'],
    ['::1:51234', '0:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['10.0.0.9', '10.0.0.9'],
    ['2001:db8:aa:bb:1:2:3:4:5000', '2001:db8:aa:bb::/64'],
    ['[2001:db8::7]:5000', '2001:db8:0:0::/64'],
    [undefined, 'unknown'],
  ])('counts %s as %s', (peer, expected) => {
    expect(clientAddressOf(peer)).toBe(expected);
  });
});
