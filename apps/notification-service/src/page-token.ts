/**
 * ListNotifications page tokens: the base64url of `notifications:<seq>`, the
 * insertion sequence of the last notification on the previous page. The next
 * page starts strictly below it (newest first), so pages stay stable while
 * new notifications arrive (keyset pagination, no offsets). Opaque to callers.
 */
const PREFIX = 'notifications:';

export function encodePageToken(lastSeq: bigint): string {
  return Buffer.from(`${PREFIX}${lastSeq}`, 'utf8').toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const SEQ = /^[1-9][0-9]{0,18}$/;

/**
 * The sequence a token points below, or undefined when it is not one this
 * service issued. Node's decoder skips characters it does not know, so the
 * token is checked by alphabet and by re-encoding.
 */
export function decodePageToken(token: string): bigint | undefined {
  if (!BASE64URL.test(token)) return undefined;
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith(PREFIX)) return undefined;
  const digits = text.slice(PREFIX.length);
  if (!SEQ.test(digits)) return undefined;
  const seq = BigInt(digits);
  if (seq > 9_223_372_036_854_775_807n) return undefined;
  if (encodePageToken(seq) !== token) return undefined;
  return seq;
}
