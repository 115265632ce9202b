import { createSequencePageTokenCodec } from '@switchboard/rpc';

/**
 * ListNotifications page tokens: the insertion sequence of the last
 * notification on the previous page. The next page starts strictly below it
 * (newest first), so pages stay stable while new notifications arrive.
 */
const codec = createSequencePageTokenCodec('notifications');

export const encodePageToken = (lastSeq: bigint): string => codec.encode(lastSeq);

/** The sequence a token points below, or undefined when it is not one this service issued. */
export const decodePageToken = (token: string): bigint | undefined => codec.decode(token);
