import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';

/**
 * Sealed values look like `v1.<salt>.<nonce>.<ciphertext>.<tag>` (base64url).
 * A stored private JWK from before encryption is plain JSON, so it starts with
 * `{` and can never be mistaken for a sealed one.
 */
const VERSION = 'v1';
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * scrypt rather than HKDF: AUTH_KEY_ENCRYPTION_KEY is typed by an operator
 * and may be a passphrase, and a stolen database dump must not be cheap to
 * brute-force against it. N=2^15 costs about 0.1 s and 32 MiB, paid once per
 * salt per process (at start), never per token.
 */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

export interface KeyEncryption {
  /** Encrypts with a fresh nonce; `context` (the kid) is bound as associated data. */
  seal(plaintext: string, context: string): Promise<string>;
  /** Throws KeyDecryptionError when the key is wrong or the value was altered. */
  open(sealed: string, context: string): Promise<string>;
  isSealed(value: string): boolean;
}

/** The configured key does not open a stored value: wrong key, or tampering. */
export class KeyDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyDecryptionError';
  }
}

function deriveKey(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, 32, SCRYPT, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const b64 = (bytes: Buffer) => bytes.toString('base64url');

/**
 * AES-256-GCM with a random 96-bit nonce per value and the key derived from
 * the secret with scrypt and a random salt. One salt per process is enough:
 * the nonce is what must never repeat, and 2^-32 odds for a repeat under one
 * key needs billions of seals, far beyond one per rotation.
 */
export function createKeyEncryption(secret: string): KeyEncryption {
  const derived = new Map<string, Promise<Buffer>>();
  const ownSalt = randomBytes(SALT_BYTES);

  function keyFor(salt: Buffer): Promise<Buffer> {
    const id = b64(salt);
    let key = derived.get(id);
    if (!key) {
      key = deriveKey(secret, salt);
      derived.set(id, key);
    }
    return key;
  }

  return {
    async seal(plaintext, context) {
      const key = await keyFor(ownSalt);
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, b64(ownSalt), b64(nonce), b64(ciphertext), b64(cipher.getAuthTag())].join(
        '.',
      );
    },

    async open(sealed, context) {
      const parts = sealed.split('.');
      if (parts.length !== 5 || parts[0] !== VERSION) {
        throw new KeyDecryptionError('the stored value is not in a known sealed format');
      }
      const [salt, nonce, ciphertext, tag] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'));
      if (
        salt!.length !== SALT_BYTES ||
        nonce!.length !== NONCE_BYTES ||
        tag!.length !== TAG_BYTES
      ) {
        throw new KeyDecryptionError('the stored value is not in a known sealed format');
      }
      const decipher = createDecipheriv('aes-256-gcm', await keyFor(salt!), nonce!);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag!);
      try {
        return Buffer.concat([decipher.update(ciphertext!), decipher.final()]).toString('utf8');
      } catch {
        // GCM cannot tell a wrong key from altered bytes; both mean "not ours to open".
        throw new KeyDecryptionError('the key does not open the stored value');
      }
    },

    isSealed(value) {
      return value.startsWith(`${VERSION}.`);
    },
  };
}
