import { createPageTokenCodec } from '@switchboard/rpc';

/**
 * ListProducts page tokens: the last sku on the previous page. The next page
 * starts strictly after it, so a page is stable even when products are added
 * or removed between calls.
 */
const codec = createPageTokenCodec<string>({ write: (sku) => sku, read: (text) => text });

export const encodePageToken = (lastSku: string): string => codec.encode(lastSku);

/** The sku a token points after, or undefined when it is not one this service issued. */
export const decodePageToken = (token: string): string | undefined => codec.decode(token);
