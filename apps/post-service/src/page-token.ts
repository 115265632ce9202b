import { createSequencePageTokenCodec } from '@switchboard/rpc';

/**
 * Page tokens for this service's lists: the insertion sequence of the last
 * row on the previous page; the next page starts strictly below it (newest
 * first). Each list has its own codec, so a ListFollowers token is not
 * accepted by ListPosts.
 */
export type PageList = 'posts' | 'followers' | 'following';

const codecs = {
  posts: createSequencePageTokenCodec('posts'),
  followers: createSequencePageTokenCodec('followers'),
  following: createSequencePageTokenCodec('following'),
} as const;

export const encodePageToken = (list: PageList, lastSeq: bigint): string =>
  codecs[list].encode(lastSeq);

/** The sequence a token points below, or undefined when it is not one issued for `list`. */
export const decodePageToken = (list: PageList, token: string): bigint | undefined =>
  codecs[list].decode(token);
