/**
 * Page tokens for this service's lists: the base64url of `<list>:<seq>`, where
 * seq is the insertion sequence of the last row on the previous page. The next
 * page starts strictly below it (newest first), so pages stay stable while
 * rows are added (keyset pagination, no offsets). The list name keeps a
 * ListFollowers token from being accepted by ListPosts. Opaque to callers.
 */
export type PageList = 'posts' | 'followers' | 'following';

export function encodePageToken(list: PageList, lastSeq: bigint): string {
  return Buffer.from(`${list}:${lastSeq}`, 'utf8').toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const SEQ = /^[1-9][0-9]{0,18}$/;

/**
 * The sequence a token points below, or undefined when it is not a token this
 * service issued for `list`. Node's decoder skips characters it does not know,
 * so the token is checked by alphabet and by re-encoding.
 */
export function decodePageToken(list: PageList, token: string): bigint | undefined {
  if (!BASE64URL.test(token)) return undefined;
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const prefix = `${list}:`;
  if (!text.startsWith(prefix)) return undefined;
  const digits = text.slice(prefix.length);
  if (!SEQ.test(digits)) return undefined;
  const seq = BigInt(digits);
  // int8 range: anything larger was never issued and would overflow the query.
  if (seq > 9_223_372_036_854_775_807n) return undefined;
  if (encodePageToken(list, seq) !== token) return undefined;
  return seq;
}
