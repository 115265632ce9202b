import { createCachedProbe } from './create-cached-probe';

describe('createCachedProbe', () => {
  let clock = 0;
  const now = () => clock;

  beforeEach(() => {
    clock = 1_000;
  });

  it('reuses a success for maxAgeMs, then asks again', async () => {
    let calls = 0;
    const probe = createCachedProbe(
      async () => {
        calls++;
      },
      { maxAgeMs: 10_000, now },
    );
    await probe();
    clock += 9_999;
    await probe();
    expect(calls).toBe(1);
    clock += 1;
    await probe();
    expect(calls).toBe(2);
  });

  it('never reuses a failure: each call asks until one passes', async () => {
    let healthy = false;
    let calls = 0;
    const probe = createCachedProbe(
      async () => {
        calls++;
        if (!healthy) throw new Error('database down');
      },
      { maxAgeMs: 10_000, now },
    );
    await expect(probe()).rejects.toThrow('database down');
    await expect(probe()).rejects.toThrow('database down');
    expect(calls).toBe(2);
    healthy = true;
    await probe();
    await probe();
    expect(calls).toBe(3);
  });

  it('forgets a success once the dependency fails after it expired', async () => {
    let healthy = true;
    const probe = createCachedProbe(
      async () => {
        if (!healthy) throw new Error('broker down');
      },
      { maxAgeMs: 5_000, now },
    );
    await probe();
    healthy = false;
    await probe(); // still within maxAgeMs: the earlier answer stands
    clock += 5_000;
    await expect(probe()).rejects.toThrow('broker down');
    healthy = true;
    await probe();
  });

  it('shares one call among overlapping rounds', async () => {
    let calls = 0;
    let release!: () => void;
    const probe = createCachedProbe(
      () => {
        calls++;
        return new Promise<void>((resolve) => (release = resolve));
      },
      { maxAgeMs: 1_000, now },
    );
    const first = probe();
    const second = probe();
    release();
    await Promise.all([first, second]);
    expect(calls).toBe(1);
  });

  it('dates a success from when the probe was asked, not when it answered', async () => {
    let calls = 0;
    const probe = createCachedProbe(
      async () => {
        calls++;
        clock += 3_000; // a slow answer
      },
      { maxAgeMs: 5_000, now },
    );
    await probe(); // asked at 1000, answered at 4000
    clock = 1_000 + 5_000;
    await probe();
    expect(calls).toBe(2);
  });
});
