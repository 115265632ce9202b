import { createManualClock } from './create-manual-clock';
import { createStartRetry } from './create-start-retry';

describe('createStartRetry', () => {
  it('retries in the background after 1 s, 2 s, 4 s... until an attempt succeeds', async () => {
    const clock = createManualClock();
    const outcomes = [false, false, false, true];
    let attempts = 0;
    const retry = createStartRetry(
      async () => outcomes[attempts++] ?? true,
      () => false,
      clock,
    );

    expect(await retry.start()).toBe(false);
    expect(attempts).toBe(1);
    await clock.advance(999);
    expect(attempts).toBe(1);
    await clock.advance(1);
    expect(attempts).toBe(2);
    await clock.advance(2_000);
    expect(attempts).toBe(3);
    await clock.advance(4_000);
    expect(attempts).toBe(4);
    await retry.settled();
    // Succeeded: no timer is left behind, and time brings no further attempt.
    expect(clock.pending).toBe(0);
    await clock.advance(60_000);
    expect(attempts).toBe(4);
  });

  it('waits at most 5 s between attempts, however long the broker stays away', async () => {
    const clock = createManualClock();
    let attempts = 0;
    let closing = false;
    const retry = createStartRetry(
      async () => {
        attempts++;
        return false;
      },
      () => closing,
      clock,
    );

    expect(await retry.start()).toBe(false);
    await clock.advance(1_000 + 2_000 + 4_000);
    expect(attempts).toBe(4);
    for (let n = 5; n <= 8; n++) {
      await clock.advance(4_999);
      expect(attempts).toBe(n - 1);
      await clock.advance(1);
      expect(attempts).toBe(n);
    }
    closing = true;
    retry.wake();
    await retry.settled();
  });

  it('stops waiting at once when woken for closing, and makes no further attempt', async () => {
    const clock = createManualClock();
    let closing = false;
    let attempts = 0;
    const retry = createStartRetry(
      async () => {
        attempts++;
        return false;
      },
      () => closing,
      clock,
    );

    expect(await retry.start()).toBe(false);
    closing = true;
    retry.wake();
    await retry.settled();
    expect(attempts).toBe(1);
    expect(clock.pending).toBe(0);
  });
});
