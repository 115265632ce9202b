import type { InboxConsumerOptions } from './inbox-consumer';
import type { InboxDatabase } from './inbox-migrations';
import { resolveInboxSettings } from './resolve-inbox-settings';

// Only the options the settings read; the rest of a consumer's options play no part here.
const base = { subscriptions: [] } as unknown as InboxConsumerOptions<InboxDatabase>;

describe('resolveInboxSettings', () => {
  it('fills in the defaults and freezes the result', () => {
    const settings = resolveInboxSettings(base);
    expect(settings).toEqual({
      maxAttempts: 5,
      backoff: { initialMs: 100, maxMs: 5_000 },
      lagLogIntervalMs: 30_000,
      commitIntervalMs: 1_000,
      inboxRetentionMs: 7 * 24 * 60 * 60 * 1000,
      maxRun: 500,
      runTimeLimitMs: 250,
      partitionsConsumedConcurrently: 3,
    });
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.backoff)).toBe(true);
  });

  it('never lets a run outlast the commit interval', () => {
    expect(resolveInboxSettings({ ...base, commitIntervalMs: 100 }).runTimeLimitMs).toBe(100);
  });

  it.each([
    [{ maxAttempts: 0 }, /maxAttempts must be a whole number of at least 1 \(got 0\)/],
    [{ maxAttempts: 1.5 }, /maxAttempts/],
    [{ maxEventsPerTransaction: 0 }, /maxEventsPerTransaction must be .* \(got 0\)/],
    [{ partitionsConsumedConcurrently: 0 }, /partitionsConsumedConcurrently must be .* \(got 0\)/],
    [{ retryBackoffMs: { initial: 10, max: 5 } }, /retryBackoffMs needs 0 <= initial <= max/],
    [{ retryBackoffMs: { initial: -1, max: 5 } }, /retryBackoffMs/],
  ])('refuses %j, naming the option', (options, message) => {
    expect(() => resolveInboxSettings({ ...base, ...options })).toThrow(message);
  });
});
