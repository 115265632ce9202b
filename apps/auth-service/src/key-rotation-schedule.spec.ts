import { createManualClock } from '@switchboard/timing';
import { createKeyRotationSchedule } from './key-rotation-schedule';
import { quietLogger } from './testing/auth-test-harness';

function fakeKeys(answers: (string | undefined | Error)[] = []) {
  const calls: number[] = [];
  const keys = {
    rotateIfOlderThan: async (maxAgeMs: number) => {
      calls.push(maxAgeMs);
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return next;
    },
  };
  return { keys, calls };
}

describe('key rotation schedule', () => {
  it('asks for a rotation by age as soon as it starts, then stops cleanly', async () => {
    const { keys, calls } = fakeKeys();
    const schedule = createKeyRotationSchedule({ keys, rotationHours: 24, logger: quietLogger });
    schedule.start();
    await schedule.stop();
    expect(calls).toEqual([24 * 3_600_000]);
  });

  it('asks again every tenth of the period, at most every 10 minutes, through failures', async () => {
    const clock = createManualClock();
    const { keys, calls } = fakeKeys([undefined, new Error('database restarting'), 'kid-2']);
    const schedule = createKeyRotationSchedule({
      keys,
      rotationHours: 1,
      logger: quietLogger,
      clock,
    });
    schedule.start();
    schedule.start(); // a second start adds no second timer
    await clock.advance(0);
    expect(calls).toHaveLength(1);
    await clock.advance(6 * 60_000 - 1);
    expect(calls).toHaveLength(1);
    await clock.advance(1); // a tenth of an hour
    expect(calls).toHaveLength(2); // this one fails...
    await clock.advance(6 * 60_000);
    expect(calls).toHaveLength(3); // ...and the schedule goes on
    await schedule.stop();
    await clock.advance(60 * 60_000);
    expect(calls).toEqual([3_600_000, 3_600_000, 3_600_000]);

    const daily = fakeKeys();
    const slow = createKeyRotationSchedule({
      keys: daily.keys,
      rotationHours: 24,
      logger: quietLogger,
      clock,
    });
    slow.start();
    await clock.advance(10 * 60_000);
    expect(daily.calls).toHaveLength(2); // capped at 10 minutes, not 2.4 hours
    await slow.stop();
  });

  it('does nothing when rotation is off (0 hours)', async () => {
    const clock = createManualClock();
    const { keys, calls } = fakeKeys();
    const schedule = createKeyRotationSchedule({
      keys,
      rotationHours: 0,
      logger: quietLogger,
      clock,
    });
    schedule.start();
    await clock.advance(24 * 3_600_000);
    await schedule.stop();
    expect(calls).toEqual([]);
  });
});
