import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id password hashing. The OWASP-recommended minimum parameters
 * (19 MiB, 2 passes, 1 lane) keep a login around tens of milliseconds on a
 * small machine while making offline guessing expensive.
 */
// Algorithm is a const enum in the typings, which isolated modules cannot import.
const ARGON2ID = 2;
const PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password or a malformed stored hash; never throws for those. */
  verify(storedHash: string, password: string): Promise<boolean>;
  /**
   * Burns the same time as verify() when there is no user, so an unknown email
   * and a wrong password cannot be told apart by timing.
   */
  verifyAgainstNothing(password: string): Promise<false>;
}

export async function createPasswordHasher(): Promise<PasswordHasher> {
  // A real hash of a random secret, made once, so the dummy check does real work.
  const decoy = await hash(crypto.randomUUID(), { ...PARAMS, algorithm: ARGON2ID });
  return {
    hash: (password) => hash(password, { ...PARAMS, algorithm: ARGON2ID }),
    async verify(storedHash, password) {
      try {
        return await verify(storedHash, password);
      } catch {
        return false;
      }
    },
    async verifyAgainstNothing(password) {
      await verify(decoy, password).catch(() => false);
      return false;
    },
  };
}
