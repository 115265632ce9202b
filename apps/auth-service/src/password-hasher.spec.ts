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
    const time = async (fn: () => Promise<unknown>) => {
      const started = performance.now();
      for (let i = 0; i < 3; i++) await fn();
      return performance.now() - started;
    };
    const real = await time(() => hasher.verify(hash, 'guess-guess'));
    const dummy = await time(() => hasher.verifyAgainstNothing('guess-guess'));
    expect(await hasher.verifyAgainstNothing('some password')).toBe(false);
    expect(dummy).toBeGreaterThan(real * 0.5);
  });
});
