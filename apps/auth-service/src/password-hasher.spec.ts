import { createPasswordHasher, type PasswordHasher } from './password-hasher';

describe('password hasher', () => {
  let hasher: PasswordHasher;
  beforeAll(async () => {
    hasher = await createPasswordHasher();
  });

  it('hashes with argon2id and a fresh salt, and verifies only the right password', async () => {
    const a = await hasher.hash('correct horse battery');
    const b = await hasher.hash('correct horse battery');
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(a).not.toBe(b);
    expect(await hasher.verify(a, 'correct horse battery')).toBe(true);
    expect(await hasher.verify(a, 'Correct horse battery')).toBe(false);
  });

  it('answers false, not an error, for a malformed stored hash', async () => {
    await expect(hasher.verify('not-a-hash', 'whatever-password')).resolves.toBe(false);
  });

  it('does real argon2 work for an unknown user', async () => {
    const hash = await hasher.hash('some password');
    // CPU time of this process (argon2's own thread included), not wall time:
    // a busy machine stretches the clock but not the work argon2 has to do.
    // The median of five calls keeps a stray GC out of the comparison.
    const medianCpuMs = async (fn: () => Promise<unknown>) => {
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const before = process.cpuUsage();
        await fn();
        const used = process.cpuUsage(before);
        samples.push((used.user + used.system) / 1000);
      }
      return samples.sort((a, b) => a - b)[2]!;
    };
    // One of each first, so neither side pays for warming up the thread pool.
    await hasher.verify(hash, 'warm-up');
    await hasher.verifyAgainstNothing('warm-up');
    const real = await medianCpuMs(() => hasher.verify(hash, 'guess-guess'));
    const dummy = await medianCpuMs(() => hasher.verifyAgainstNothing('guess-guess'));
    expect(await hasher.verifyAgainstNothing('some password')).toBe(false);
    // A shortcut (no hash, or a cheaper one) would use next to nothing.
    expect(dummy).toBeGreaterThan(real * 0.5);
  });
});
