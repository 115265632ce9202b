/**
 * ListProducts page tokens: the base64url of the last sku on the previous
 * page. The next page starts strictly after it, so a page is stable even when
 * products are added or removed between calls (keyset pagination, no offsets).
 * Opaque to callers: they must only hand back what they were given.
 */
export function encodePageToken(lastSku: string): string {
  return Buffer.from(lastSku, 'utf8').toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The sku a token points after, or undefined when it is not one this service
 * issued. Node's decoder skips characters it does not know, so the token is
 * checked by alphabet and by re-encoding instead of trusting the decode.
 */
export function decodePageToken(token: string): string | undefined {
  if (!BASE64URL.test(token)) return undefined;
  const sku = Buffer.from(token, 'base64url').toString('utf8');
  if (encodePageToken(sku) !== token) return undefined;
  return sku;
}
