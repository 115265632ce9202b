import { createPageTokenCodec } from './create-page-token-codec';
import type { PageTokenCodec } from './page-token-codec';

const SEQ = /^[1-9][0-9]{0,18}$/;
const INT8_MAX = 9_223_372_036_854_775_807n;

/**
 * Tokens of a list paged by an insertion sequence (newest first): the text
 * `<list>:<seq>`. The list name keeps one list's token from being accepted by
 * another, and a sequence beyond int8 was never issued and would overflow
 * the query, so it is refused.
 */
export function createSequencePageTokenCodec(list: string): PageTokenCodec<bigint> {
  const prefix = `${list}:`;
  return createPageTokenCodec<bigint>({
    write: (seq) => `${prefix}${seq}`,
    read(text) {
      if (!text.startsWith(prefix)) return undefined;
      const digits = text.slice(prefix.length);
      if (!SEQ.test(digits)) return undefined;
      const seq = BigInt(digits);
      return seq > INT8_MAX ? undefined : seq;
    },
  });
}
