import type { PageCursorFormat, PageTokenCodec } from './page-token-codec';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Page tokens as the base64url of the cursor's text (keyset pagination, no
 * offsets, so a page is stable while rows are added or removed). Node's
 * decoder skips characters it does not know, so a token is checked by
 * alphabet and by re-encoding what it decodes to, instead of trusting the
 * decode: one cursor has exactly one token.
 */
export function createPageTokenCodec<Cursor>(
  format: PageCursorFormat<Cursor>,
): PageTokenCodec<Cursor> {
  const encode = (cursor: Cursor) =>
    Buffer.from(format.write(cursor), 'utf8').toString('base64url');
  return {
    encode,
    decode(token) {
      if (!BASE64URL.test(token)) return undefined;
      const cursor = format.read(Buffer.from(token, 'base64url').toString('utf8'));
      if (cursor === undefined || encode(cursor) !== token) return undefined;
      return cursor;
    },
  };
}
