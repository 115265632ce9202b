import type {
  ListFollowersRequest,
  ListFollowingRequest,
  ListPostsRequest,
} from '@switchboard/contracts';
import { createValidationError } from '@switchboard/errors';
import { decodePageToken, type PageList } from './page-token';
import { postLimits as limits } from './post-limits';

/**
 * The post service's rules that the contract cannot state: the field rules
 * (text length and characters, id formats, page sizes) are buf.validate
 * annotations in post_service.proto, checked before a handler runs. What
 * stays here shapes the request as the stores take it, and refuses what
 * needs the caller or a page token's meaning to judge.
 */

export interface PageRequest {
  pageSize: number;
  /** Continue below this sequence (newest first); undefined for the first page. */
  beforeSeq?: bigint;
}

export interface ListPostsQuery extends PageRequest {
  authorId: string;
}

export interface ListFollowsQuery extends PageRequest {
  userId: string;
}

/**
 * The text as stored: Windows line ends become "\n" (clients send them, and
 * "\r" alone is refused), and surrounding whitespace is trimmed so a post of
 * only spaces is empty rather than blank-but-valid.
 */
export function normalisePostText(text: string): string {
  return text.replaceAll('\r\n', '\n').trim();
}

/** Lower-cased, so the same user is one key in the database and in Kafka whatever the caller typed. */
export function normaliseId(id: string): string {
  return id.toLowerCase();
}

/** The default for 0, and the page token's position. */
function pageOf(
  list: PageList,
  method: string,
  request: { pageSize: number; pageToken: string },
): PageRequest {
  const pageSize = request.pageSize === 0 ? limits.defaultPageSize : request.pageSize;
  if (request.pageToken === '') return { pageSize };
  const beforeSeq = decodePageToken(list, request.pageToken);
  if (beforeSeq === undefined) {
    throw createValidationError([
      { field: 'page_token', description: `is not a token from a previous ${method} response` },
    ]);
  }
  return { pageSize, beforeSeq };
}

export function validateListPosts(request: ListPostsRequest): ListPostsQuery {
  return { authorId: normaliseId(request.authorId), ...pageOf('posts', 'ListPosts', request) };
}

/** The user to follow or unfollow; following yourself is a request that can never make sense. */
export function validateFollowTarget(userId: string, callerId: string): string {
  const target = normaliseId(userId);
  if (target === normaliseId(callerId)) {
    throw createValidationError([
      { field: 'user_id', description: 'must not be your own user id: you cannot follow yourself' },
    ]);
  }
  return target;
}

export function validateListFollowers(request: ListFollowersRequest): ListFollowsQuery {
  return { userId: normaliseId(request.userId), ...pageOf('followers', 'ListFollowers', request) };
}

export function validateListFollowing(request: ListFollowingRequest): ListFollowsQuery {
  return { userId: normaliseId(request.userId), ...pageOf('following', 'ListFollowing', request) };
}
