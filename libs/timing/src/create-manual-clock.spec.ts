import { createManualClock } from './create-manual-clock';

describe('createManualClock', () => {
  it('runs due timers in order, each at its own time, and skips cancelled ones', async () => {
    const clock = createManualClock(1_000);
    const ran: [string, number][] = [];
    clock.setTimeout(() => ran.push(['b', clock.now()]), 20);
    clock.setTimeout(() => ran.push(['a', clock.now()]), 10);
    clock.setTimeout(() => ran.push(['c', clock.now()]), 20);
    const cancelled = clock.setTimeout(() => ran.push(['x', clock.now()]), 15);
    cancelled.cancel();
    cancelled.cancel();
    await clock.advance(19);
    expect(ran).toEqual([['a', 1_010]]);
    expect(clock.now()).toBe(1_019);
    await clock.advance(1);
    expect(ran).toEqual([
      ['a', 1_010],
      ['b', 1_020],
      ['c', 1_020],
    ]);
    expect(clock.pending).toBe(0);
  });

  it('runs a timer that a due timer schedules within the same advance', async () => {
    const clock = createManualClock(0);
    const ran: number[] = [];
    const tick = () => {
      ran.push(clock.now());
      clock.setTimeout(tick, 10);
    };
    clock.setTimeout(tick, 10);
    await clock.advance(35);
    expect(ran).toEqual([10, 20, 30]);
    expect(clock.now()).toBe(35);
  });

  it('refuses to go back in time', async () => {
    await expect(createManualClock().advance(-1)).rejects.toThrow(
      'advance() needs a duration >= 0 (got -1)',
    );
  });
});
