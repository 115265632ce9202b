import { createPageTokenCodec } from '@switchboard/rpc';

/** Where the next ListOrders page starts: strictly after this order, newest first. */
export interface OrderCursor {
  createdAt: Date;
  orderId: string;
}

const PAYLOAD = /^(\d{1,15})\.([0-9a-f-]{36})$/;

/**
 * ListOrders page tokens: the last order's creation time (ms) and id. Not a
 * secret: a token only ever selects among the caller's own orders.
 */
const codec = createPageTokenCodec<OrderCursor>({
  write: (cursor) => `${cursor.createdAt.getTime()}.${cursor.orderId}`,
  read(text) {
    const match = PAYLOAD.exec(text);
    if (match === null) return undefined;
    return { createdAt: new Date(Number(match[1])), orderId: match[2] ?? '' };
  },
});

export const encodePageToken = (cursor: OrderCursor): string => codec.encode(cursor);

/** The cursor a token points after, or undefined when it is not one this service issued. */
export const decodePageToken = (token: string): OrderCursor | undefined => codec.decode(token);
