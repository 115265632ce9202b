import { createManualClock } from './create-manual-clock';
import { createPeriodicTask } from './create-periodic-task';

/** A promise the test resolves by hand: a round that lasts exactly as long as the test says. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('createPeriodicTask', () => {
  it('waits one interval after each round ends, and a failed round does not end the loop', async () => {
    const clock = createManualClock();
    const starts: number[] = [];
    const errors: unknown[] = [];
    let current = gate();
    const task = createPeriodicTask({
      intervalMs: 10,
      clock,
      run: async () => {
        starts.push(clock.now());
        await current.opened;
        if (starts.length === 2) throw new Error('round 2 failed');
      },
      onError: (err) => errors.push(err),
    });
    const t0 = clock.now();
    task.start();
    task.start(); // a second start schedules nothing more
    expect(clock.pending).toBe(1);

    await clock.advance(9);
    expect(starts).toEqual([]);
    await clock.advance(1);
    expect(starts).toEqual([t0 + 10]);

    // The round is still running 50 ms later: nothing overlaps it.
    await clock.advance(50);
    expect(starts).toHaveLength(1);
    expect(clock.pending).toBe(0);
    current.open();
    current = gate();
    await clock.advance(10); // the next round starts one interval after the last one ended
    expect(starts).toEqual([t0 + 10, t0 + 70]);

    current.open(); // round 2 throws
    current = gate();
    await clock.advance(10);
    expect(errors).toEqual([new Error('round 2 failed')]);
    expect(starts).toEqual([t0 + 10, t0 + 70, t0 + 80]);

    current.open();
    await task.close();
    expect(clock.pending).toBe(0);
  });

  it('close() waits for the round in progress, says stopped, and no round follows', async () => {
    const clock = createManualClock();
    const round = gate();
    let rounds = 0;
    let finished = 0;
    let sawStopped: boolean | undefined;
    const task = createPeriodicTask({
      intervalMs: 5,
      clock,
      run: async () => {
        rounds++;
        await round.opened;
        sawStopped = task.stopped;
        finished++;
      },
      onError: () => undefined,
    });
    task.start();
    await clock.advance(5); // the first round is now in progress
    expect(rounds).toBe(1);
    expect(task.stopped).toBe(false);

    let closed = false;
    const closing = task.close().then(() => (closed = true));
    await clock.advance(0);
    expect(closed).toBe(false); // still waiting for the round
    round.open();
    await closing;
    expect(finished).toBe(1);
    expect(sawStopped).toBe(true);
    expect(clock.pending).toBe(0);
    await clock.advance(1_000);
    expect(rounds).toBe(1);
    await task.close(); // twice is fine
  });

  it('never runs when closed before its first round', async () => {
    const clock = createManualClock();
    let rounds = 0;
    const task = createPeriodicTask({
      intervalMs: 20,
      clock,
      run: async () => {
        rounds++;
      },
      onError: () => undefined,
    });
    task.start();
    await task.close();
    await clock.advance(1_000);
    expect(rounds).toBe(0);
    task.start(); // a closed task stays closed
    expect(clock.pending).toBe(0);
  });

  it('runAtStart runs the first round at once, then keeps the interval', async () => {
    const clock = createManualClock();
    const starts: number[] = [];
    const task = createPeriodicTask({
      intervalMs: 100,
      clock,
      runAtStart: true,
      run: async () => {
        starts.push(clock.now());
      },
      onError: () => undefined,
    });
    const t0 = clock.now();
    task.start();
    await clock.advance(250);
    expect(starts).toEqual([t0, t0 + 100, t0 + 200]);
    await task.close();
  });

  it('refuses an interval that would spin', () => {
    expect(() =>
      createPeriodicTask({ intervalMs: 0, run: async () => 0, onError: () => undefined }),
    ).toThrow('intervalMs must be > 0 (got 0)');
  });
});
