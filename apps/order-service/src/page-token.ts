/** Where the next ListOrders page starts: strictly after this order, newest first. */
export interface OrderCursor {
  createdAt: Date;
  orderId: string;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;
const PAYLOAD = /^(\d{1,15})\.([0-9a-f-]{36})$/;

/**
 * ListOrders page tokens: the base64url of the last order's creation time (ms)
 * and id. Keyset pagination, so orders placed while a customer pages never
 * shift a page. Opaque to callers; not a secret: a token only ever selects
 * among the caller's own orders.
 */
export function encodePageToken(cursor: OrderCursor): string {
  return Buffer.from(`${cursor.createdAt.getTime()}.${cursor.orderId}`, 'utf8').toString(
    'base64url',
  );
}

/**
 * The cursor a token points after, or undefined when it is not one this
 * service issued. Node's decoder skips characters it does not know, so the
 * token is checked by alphabet and by re-encoding instead of trusting the decode.
 */
export function decodePageToken(token: string): OrderCursor | undefined {
  if (!TOKEN.test(token)) return undefined;
  const match = PAYLOAD.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (match === null) return undefined;
  const cursor = { createdAt: new Date(Number(match[1])), orderId: match[2] ?? '' };
  return encodePageToken(cursor) === token ? cursor : undefined;
}
