export const REDACTED = '[redacted]';

/**
 * Field names whose value is a secret, compared lower-cased and without
 * separators, so `access_token`, `accessToken` and `x-access-token` are one.
 * Matched at the end of the name: `adminPassword`, `orderServiceSecret` and
 * `refresh_token` are caught; `tokenTtlSeconds` and `tokens` (a count) are not.
 */
const SECRET_NAME =
  /(password|passwd|passphrase|secret|token|authorization|cookie|apikey|privatekey|privatejwk|encryptionkey)$/;

/** JWK members that hold private key material (EC and OKP `d`, RSA's CRT values, symmetric `k`). */
const PRIVATE_JWK_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']);

/** Three base64url parts with a JSON header: a JWT wherever it appears, under any name. */
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const PEM_PRIVATE_KEY =
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;
/** The password of a URL's userinfo, e.g. a DATABASE_URL. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]*@/gi;

/** Deeper than this, a value is logged as it is: log objects are never this deep in practice. */
const MAX_DEPTH = 12;

function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Strings are scanned only when a cheap test says they might hold something. */
function redactString(value: string): string {
  let out = value;
  if (out.includes('eyJ')) out = out.replace(JWT, REDACTED);
  if (out.includes(' ')) out = out.replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  if (out.includes('PRIVATE KEY-----')) out = out.replace(PEM_PRIVATE_KEY, REDACTED);
  if (out.includes('@') && out.includes('://')) out = out.replace(URL_PASSWORD, `$1${REDACTED}@`);
  return out;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const redacted = redactValue(item, depth + 1);
      if (redacted !== item) {
        copy ??= value.slice();
        copy[i] = redacted;
      }
    }
    return copy ?? value;
  }
  // Errors, Dates, Buffers and other class instances keep their own serialisers.
  if (!isPlainObject(value)) return value;
  // A JWK with private members: the name `d` is only a secret inside one.
  const isJwk = typeof value['kty'] === 'string';
  let copy: Record<string, unknown> | undefined;
  for (const name of Object.keys(value)) {
    const item = value[name];
    let redacted: unknown;
    if (item === undefined || item === null || item === '') {
      redacted = item;
    } else if (isSecretName(name) || (isJwk && PRIVATE_JWK_MEMBERS.has(name))) {
      redacted = REDACTED;
    } else if (name === 'key' && typeof item === 'object') {
      // `key` is often harmless (a Kafka message key), but a key object or JWK is not.
      redacted = REDACTED;
    } else {
      redacted = redactValue(item, depth + 1);
    }
    if (redacted !== item) {
      // Copied on the first change only: the caller's object is never modified,
      // and a line with nothing to hide costs no allocation.
      copy ??= { ...value };
      copy[name] = redacted;
    }
  }
  return copy ?? value;
}

/**
 * A copy of a log object with every secret replaced by "[redacted]", at any
 * depth: values under secret-looking names (passwords, tokens, private keys,
 * cookies, authorization), private JWK members, and secrets recognisable by
 * their shape wherever they appear (JWTs, `Bearer …`, PEM private keys, the
 * password of a URL).
 */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, 0) as T;
}
