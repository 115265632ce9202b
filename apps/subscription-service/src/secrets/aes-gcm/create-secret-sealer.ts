import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import type { SecretSealer } from '../secret-sealer';

/** `v1.<salt>.<nonce>.<ciphertext>.<tag>`, base64url. */
const VERSION = 'v1';
const SALT_BYTES = 16;
const NONCE_BYTES = 12;

/**
 * scrypt, as auth does for its keys: SUBSCRIPTION_SECRET_KEY may be a
 * passphrase, and a stolen dump must not be cheap to brute-force against it.
 * Paid once per salt per process.
 */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

const b64 = (bytes: Buffer) => bytes.toString('base64url');

export function createSecretSealer(key: string): SecretSealer {
  const derived = new Map<string, Promise<Buffer>>();
  const ownSalt = randomBytes(SALT_BYTES);

  function keyFor(salt: Buffer): Promise<Buffer> {
    const id = b64(salt);
    let found = derived.get(id);
    if (!found) {
      found = new Promise((resolve, reject) =>
        scrypt(key, salt, 32, SCRYPT, (err, k) => (err ? reject(err) : resolve(k))),
      );
      derived.set(id, found);
    }
    return found;
  }

  return {
    async seal(plaintext, context) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', await keyFor(ownSalt), nonce);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, b64(ownSalt), b64(nonce), b64(body), b64(cipher.getAuthTag())].join('.');
    },

    async open(sealed, context) {
      const parts = sealed.split('.');
      if (parts.length !== 5 || parts[0] !== VERSION) throw new Error('not a sealed secret');
      const [salt, nonce, body, tag] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'));
      const decipher = createDecipheriv('aes-256-gcm', await keyFor(salt!), nonce!);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag!);
      try {
        return Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8');
      } catch (err) {
        throw new Error(
          'the signing secret does not open: wrong SUBSCRIPTION_SECRET_KEY, or altered',
          {
            cause: err,
          },
        );
      }
    },
  };
}
