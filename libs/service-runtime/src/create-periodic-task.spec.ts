import { setTimeout as sleep } from 'node:timers/promises';
import { createPeriodicTask } from './create-periodic-task';

describe('createPeriodicTask', () => {
  it('runs rounds one after another, and a failed round does not end the loop', async () => {
    const starts: number[] = [];
    const errors: unknown[] = [];
    let inFlight = 0;
    let overlapped = false;
    const task = createPeriodicTask({
      intervalMs: 10,
      run: async () => {
        starts.push(Date.now());
        inFlight++;
        overlapped ||= inFlight > 1;
        await sleep(30); // longer than the interval: rounds must still not overlap
        inFlight--;
        if (starts.length === 2) throw new Error('round 2 failed');
      },
      onError: (err) => errors.push(err),
    });
    task.start();
    task.start(); // a second start schedules nothing more
    await sleep(250);
    await task.close();
    expect(starts.length).toBeGreaterThanOrEqual(4);
    expect(overlapped).toBe(false);
    expect(errors).toEqual([new Error('round 2 failed')]);
    for (let i = 1; i < starts.length; i++) {
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(35);
    }
  });

  it('close() waits for the round in progress, says stopped, and no round follows', async () => {
    let finished = 0;
    let rounds = 0;
    let sawStopped = false;
    const task = createPeriodicTask({
      intervalMs: 5,
      run: async () => {
        rounds++;
        await sleep(100);
        sawStopped = task.stopped;
        finished++;
      },
      onError: () => undefined,
    });
    task.start();
    await sleep(30); // the first round is now in progress
    expect(task.stopped).toBe(false);
    await task.close();
    expect(finished).toBe(1);
    expect(sawStopped).toBe(true);
    await sleep(50);
    expect(rounds).toBe(1);
    await task.close(); // twice is fine
  });

  it('never runs when closed before its first round', async () => {
    let rounds = 0;
    const task = createPeriodicTask({
      intervalMs: 20,
      run: async () => {
        rounds++;
      },
      onError: () => undefined,
    });
    task.start();
    await task.close();
    await sleep(60);
    expect(rounds).toBe(0);
  });
});
