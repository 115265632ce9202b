import { createKeyRotationSchedule } from './key-rotation-schedule';
import type { SigningKeys } from './signing-keys';
import { quietLogger } from './testing/auth-test-harness';

function fakeKeys() {
  const calls: number[] = [];
  const keys = {
    rotateIfOlderThan: async (maxAgeMs: number) => {
      calls.push(maxAgeMs);
      return undefined;
    },
  } as Pick<SigningKeys, 'rotateIfOlderThan'> as SigningKeys;
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

  it('does nothing when rotation is off (0 hours)', async () => {
    const { keys, calls } = fakeKeys();
    const schedule = createKeyRotationSchedule({ keys, rotationHours: 0, logger: quietLogger });
    schedule.start();
    await schedule.stop();
    expect(calls).toEqual([]);
  });
});
