import { createManualClock } from './create-manual-clock';
import { createWakeup } from './create-wakeup';

describe('createWakeup', () => {
  it('sleeps the full time when nobody pokes', async () => {
    const clock = createManualClock();
    const { sleep } = createWakeup(clock);
    let woke = false;
    const slept = sleep(1_000).then(() => (woke = true));
    await clock.advance(999);
    expect(woke).toBe(false);
    await clock.advance(1);
    await slept;
    expect(woke).toBe(true);
  });

  it('a poke ends the sleep at once and leaves no timer behind', async () => {
    const clock = createManualClock();
    const { sleep, poke } = createWakeup(clock);
    const slept = sleep(60_000);
    poke();
    await slept;
    expect(clock.pending).toBe(0);
  });

  it('a poke while awake makes the next sleep return at once, once', async () => {
    const clock = createManualClock();
    const { sleep, poke } = createWakeup(clock);
    poke();
    poke();
    await sleep(60_000);
    let woke = false;
    const second = sleep(1_000).then(() => (woke = true));
    await clock.advance(0);
    expect(woke).toBe(false);
    await clock.advance(1_000);
    await second;
    expect(woke).toBe(true);
  });
});
