import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { DomainError } from '@switchboard/errors';
import { sql, type Kysely, type Transaction } from '@switchboard/storage';
import type { AuthDatabase } from './auth-schema';
import { KeyDecryptionError, type KeyEncryption } from './key-encryption';

/** Pinned: tokens signed with anything else (none, HS256, RS256, ...) never verify. */
export const SIGNING_ALGORITHM = 'ES256';

/** Serialises key creation and rotation across replicas (any constant unique to this use). */
const SIGNING_KEYS_LOCK = 0x5357_4b45;

/** How long a replica trusts what it read about a key before reading it again. */
const KEY_CACHE_MS = 30_000;

/** The members of a public EC key; nothing else ever leaves the service. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'] as const;

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

export interface SigningKeyInfo {
  kid: string;
  createdAt: Date;
  /** When it stopped signing; it verifies for one token lifetime after. */
  retiredAt: Date | null;
  /** When it was withdrawn: it verifies nothing from then on. */
  revokedAt: Date | null;
}

export interface SigningKeys {
  /**
   * Run once at start, before serving: encrypts any private key stored in
   * plain text by an older version or sealed with the previous key, and
   * checks that the configured key opens every stored one. Throws, naming
   * AUTH_KEY_ENCRYPTION_KEY, when it does not: making a new key instead would
   * sign every user out.
   */
  unlock(): Promise<void>;
  /** The key that signs new tokens; made and stored on first use. */
  current(): Promise<SigningKey>;
  /**
   * The public key for a kid, if it still verifies: active, or retired less
   * than a token lifetime ago, and not revoked (as of the last read, at most
   * 30 s old; token-service reads revocation itself on every call).
   */
  verificationKey(kid: string): Promise<CryptoKey | undefined>;
  /** Public keys as a JWK Set, for GetJwks. */
  jwks(): Promise<{ keys: JWK[] }>;
  /** A new key signs from now on; the old one keeps verifying until its tokens expire. Returns the new kid. */
  rotate(): Promise<string>;
  /**
   * Rotates only when the signing key is older than maxAgeMs. Safe to call
   * from every replica at once: the check and the rotation run under one lock,
   * so only the first caller rotates. Returns the new kid, if it rotated.
   */
  rotateIfOlderThan(maxAgeMs: number): Promise<string | undefined>;
  /**
   * Withdraws a key at once (a leak, a departed operator): its tokens stop
   * verifying here immediately and at every replica on their next check. The
   * current key is rotated first, so signing never stops. Idempotent.
   * SIGNING_KEY_NOT_FOUND for a kid that is not stored (or long gone).
   */
  revoke(kid: string): Promise<{ revokedAt: Date; newKid?: string }>;
  /** Every stored key, newest first; never any key material. */
  list(): Promise<SigningKeyInfo[]>;
}

export interface SigningKeysOptions {
  tokenTtlSeconds: number;
  /** Seals private keys before they are stored and opens them after reading. */
  encryption: KeyEncryption;
  /**
   * The key being replaced (AUTH_KEY_ENCRYPTION_KEY_PREVIOUS): what it opens
   * still opens, and unlock() seals it again with the current key.
   */
  previousEncryption?: KeyEncryption;
}

interface CachedKey {
  key: CryptoKey;
  retiredAt: Date | null;
  revokedAt: Date | null;
  fetchedAt: number;
}

function publicMembers(jwk: JWK): JWK {
  const out: JWK = {};
  for (const name of PUBLIC_MEMBERS) if (jwk[name] !== undefined) out[name] = jwk[name];
  return out;
}

async function importKey(json: string): Promise<CryptoKey> {
  return (await importJWK(JSON.parse(json) as JWK, SIGNING_ALGORITHM)) as CryptoKey;
}

async function lockSigningKeys(trx: Transaction<AuthDatabase>): Promise<void> {
  // PostgreSQL releases a transaction-level advisory lock at commit or rollback.
  await sql`select pg_advisory_xact_lock(${SIGNING_KEYS_LOCK})`.execute(trx);
}

async function insertKey(
  trx: Transaction<AuthDatabase>,
  encryption: KeyEncryption,
): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  const kid = crypto.randomUUID();
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALGORITHM };
  const publicJwk = publicMembers({
    ...(await exportJWK(publicKey)),
    kid,
    alg: SIGNING_ALGORITHM,
    use: 'sig',
  });
  await trx
    .insertInto('signing_keys')
    .values({
      kid,
      algorithm: SIGNING_ALGORITHM,
      // Only the sealed form is ever stored: a database dump or backup holds no usable key.
      private_jwk: await encryption.seal(JSON.stringify(privateJwk), kid),
      public_jwk: JSON.stringify(publicJwk),
      retired_at: null,
      revoked_at: null,
    })
    .execute();
  return kid;
}

/**
 * Keys live in the auth database, so a restart (or a second replica) keeps
 * every issued token valid; the private half is stored sealed with
 * AUTH_KEY_ENCRYPTION_KEY (key-encryption.ts). Retired keys stay published
 * for one token lifetime, then drop out of the JWKS, stop verifying and are
 * deleted at the next rotation. A revoked key stops verifying at once.
 */
export function createSigningKeys(
  db: Kysely<AuthDatabase>,
  options: SigningKeysOptions,
): SigningKeys {
  const { encryption, previousEncryption } = options;
  const privateKeys = new Map<string, CryptoKey>();
  const publicKeys = new Map<string, CachedKey>();
  const ttlMs = options.tokenTtlSeconds * 1000;

  /** The private JWK, and whether the previous key sealed it (so it wants sealing again). */
  async function openPrivateJwk(
    kid: string,
    stored: string,
  ): Promise<{ json: string; sealedWithPrevious: boolean }> {
    if (!encryption.isSealed(stored)) {
      throw new Error(`signing key ${kid} is stored unencrypted; unlock() encrypts it at start`);
    }
    try {
      return { json: await encryption.open(stored, kid), sealedWithPrevious: false };
    } catch (err) {
      if (!(err instanceof KeyDecryptionError)) throw err;
      if (previousEncryption) {
        try {
          return { json: await previousEncryption.open(stored, kid), sealedWithPrevious: true };
        } catch (previousErr) {
          if (!(previousErr instanceof KeyDecryptionError)) throw previousErr;
        }
      }
      throw new Error(
        `AUTH_KEY_ENCRYPTION_KEY${previousEncryption ? ' (nor AUTH_KEY_ENCRYPTION_KEY_PREVIOUS)' : ''} ` +
          `does not decrypt the stored signing key ${kid}: start with the key it was encrypted with ` +
          '(a new signing key would sign every user out)',
        { cause: err },
      );
    }
  }

  /** Keys retired before this have no live token left. */
  const verifyingSince = () => new Date(Date.now() - ttlMs);

  async function activeKey(executor: Kysely<AuthDatabase>) {
    return executor
      .selectFrom('signing_keys')
      .select(['kid', 'private_jwk', 'created_at'])
      .where('retired_at', 'is', null)
      .executeTakeFirst();
  }

  async function current(): Promise<SigningKey> {
    let row = await activeKey(db);
    if (!row) {
      await db.transaction().execute(async (trx) => {
        await lockSigningKeys(trx);
        // Another replica may have made one while this one waited for the lock.
        if (!(await activeKey(trx))) await insertKey(trx, encryption);
      });
      row = await activeKey(db);
      if (!row) throw new Error('no active signing key after creating one');
    }
    let privateKey = privateKeys.get(row.kid);
    if (!privateKey) {
      privateKey = await importKey((await openPrivateJwk(row.kid, row.private_jwk)).json);
      privateKeys.set(row.kid, privateKey);
    }
    return { kid: row.kid, privateKey };
  }

  async function rotateLocked(trx: Transaction<AuthDatabase>): Promise<string> {
    const now = new Date();
    await trx
      .updateTable('signing_keys')
      .set({ retired_at: now })
      .where('retired_at', 'is', null)
      .execute();
    // Keys retired more than a token lifetime ago verify nothing any more.
    await trx.deleteFrom('signing_keys').where('retired_at', '<', verifyingSince()).execute();
    return insertKey(trx, encryption);
  }

  return {
    async unlock() {
      await db.transaction().execute(async (trx) => {
        // Under the lock, so replicas starting together upgrade each row once.
        await lockSigningKeys(trx);
        const rows = await trx.selectFrom('signing_keys').select(['kid', 'private_jwk']).execute();
        for (const row of rows) {
          let json = row.private_jwk;
          if (encryption.isSealed(row.private_jwk)) {
            const opened = await openPrivateJwk(row.kid, row.private_jwk);
            if (!opened.sealedWithPrevious) continue;
            json = opened.json;
          }
          // Plain text from before encryption, or sealed with the key being replaced.
          await trx
            .updateTable('signing_keys')
            .set({ private_jwk: await encryption.seal(json, row.kid) })
            .where('kid', '=', row.kid)
            .execute();
        }
      });
    },

    current,

    async verificationKey(kid) {
      let entry = publicKeys.get(kid);
      if (!entry || Date.now() - entry.fetchedAt > KEY_CACHE_MS) {
        const row = await db
          .selectFrom('signing_keys')
          .select(['public_jwk', 'algorithm', 'retired_at', 'revoked_at'])
          .where('kid', '=', kid)
          .executeTakeFirst();
        if (!row || row.algorithm !== SIGNING_ALGORITHM) {
          publicKeys.delete(kid);
          return undefined;
        }
        entry = {
          // The key material of a kid never changes: only re-import when it was never seen.
          key: entry?.key ?? (await importKey(row.public_jwk)),
          retiredAt: row.retired_at,
          revokedAt: row.revoked_at,
          fetchedAt: Date.now(),
        };
        publicKeys.set(kid, entry);
      }
      if (entry.revokedAt) return undefined;
      if (entry.retiredAt && entry.retiredAt < verifyingSince()) return undefined;
      return entry.key;
    },

    async jwks() {
      const rows = await db
        .selectFrom('signing_keys')
        .select('public_jwk')
        .where('revoked_at', 'is', null)
        .where((eb) =>
          eb.or([eb('retired_at', 'is', null), eb('retired_at', '>=', verifyingSince())]),
        )
        .orderBy('created_at', 'desc')
        .execute();
      // Filtered again on the way out, so a bad row can never publish a private member.
      return { keys: rows.map((r) => publicMembers(JSON.parse(r.public_jwk) as JWK)) };
    },

    async rotate() {
      return db.transaction().execute(async (trx) => {
        await lockSigningKeys(trx);
        return rotateLocked(trx);
      });
    },

    async rotateIfOlderThan(maxAgeMs) {
      return db.transaction().execute(async (trx) => {
        await lockSigningKeys(trx);
        const active = await activeKey(trx);
        if (!active) {
          // Nothing to rotate yet: the first key is simply made.
          await insertKey(trx, encryption);
          return undefined;
        }
        if (Date.now() - active.created_at.getTime() < maxAgeMs) return undefined;
        return rotateLocked(trx);
      });
    },

    async revoke(kid) {
      const result = await db.transaction().execute(async (trx) => {
        await lockSigningKeys(trx);
        const row = await trx
          .selectFrom('signing_keys')
          .select(['retired_at', 'revoked_at'])
          .where('kid', '=', kid)
          .executeTakeFirst();
        if (!row) {
          throw new DomainError('SIGNING_KEY_NOT_FOUND', `no signing key with id ${kid}`);
        }
        if (row.revoked_at) return { revokedAt: row.revoked_at };
        // The signing key first hands over, so tokens keep being issued.
        const newKid = row.retired_at === null ? await rotateLocked(trx) : undefined;
        const revokedAt = new Date();
        await trx
          .updateTable('signing_keys')
          .set({ revoked_at: revokedAt })
          .where('kid', '=', kid)
          .execute();
        return { revokedAt, ...(newKid === undefined ? {} : { newKid }) };
      });
      // This replica stops at once; the token check reads the flag on every call.
      publicKeys.delete(kid);
      privateKeys.delete(kid);
      return result;
    },

    async list() {
      const rows = await db
        .selectFrom('signing_keys')
        .select(['kid', 'created_at', 'retired_at', 'revoked_at'])
        .orderBy('created_at', 'desc')
        .execute();
      return rows.map((r) => ({
        kid: r.kid,
        createdAt: r.created_at,
        retiredAt: r.retired_at,
        revokedAt: r.revoked_at,
      }));
    },
  };
}
