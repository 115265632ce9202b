import type {
  CreatePostRequest,
  ListFollowersRequest,
  ListFollowingRequest,
  ListPostsRequest,
} from '@switchboard/contracts';
import { POST_TEXT_FORBIDDEN_CONTROL } from '@switchboard/contracts';
import { createValidationError, type FieldViolation } from '@switchboard/errors';
import { decodePageToken, type PageList } from './page-token';
import { postLimits as limits } from './post-limits';

/**
 * Request validation for every PostService method. Each validator collects
 * every broken rule before failing, so a caller fixes them all in one round
 * trip, and returns the request in the shape the stores take. Field names are
 * the proto's (snake_case), as a grpcurl user types them.
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

class Violations {
  readonly list: FieldViolation[] = [];
  add(field: string, description: string): void {
    this.list.push({ field, description });
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw createValidationError(this.list);
  }
}

// From the contracts: the notification service refuses the same in PostCreated.
const FORBIDDEN_CONTROL = POST_TEXT_FORBIDDEN_CONTROL;

/**
 * The text as stored: Windows line ends become "\n" (clients send them, and
 * "\r" alone is refused), and surrounding whitespace is trimmed so a post of
 * only spaces is empty rather than blank-but-valid.
 */
export function normalisePostText(text: string): string {
  return text.replaceAll('\r\n', '\n').trim();
}

function checkText(v: Violations, raw: string): string {
  const text = normalisePostText(raw);
  const length = [...text].length;
  if (length === 0) {
    v.add('text', `is required (1-${limits.textMaxChars} characters, not only whitespace)`);
  } else if (length > limits.textMaxChars) {
    v.add('text', `must be at most ${limits.textMaxChars} characters (got ${length})`);
  } else if (FORBIDDEN_CONTROL.test(text)) {
    v.add('text', 'must not contain control characters other than newline and tab');
  }
  return text;
}

/** Lower-cased, so the same user is one key in the database and in Kafka whatever the caller typed. */
function checkUuid(v: Violations, field: string, value: string): string {
  if (value === '') v.add(field, 'is required');
  else if (!limits.uuidPattern.test(value)) v.add(field, limits.uuidRule);
  return value.toLowerCase();
}

/**
 * Out-of-range page sizes are rejected rather than clamped: a caller asking
 * for 500 who silently gets 100 may take the short page for the end.
 */
function checkPage(
  v: Violations,
  list: PageList,
  method: string,
  request: { pageSize: number; pageToken: string },
): PageRequest {
  if (request.pageSize < 0 || request.pageSize > limits.maxPageSize) {
    v.add(
      'page_size',
      `must be between 1 and ${limits.maxPageSize}, or 0 for the default of ${limits.defaultPageSize}`,
    );
  }
  let beforeSeq: bigint | undefined;
  if (request.pageToken !== '') {
    beforeSeq = decodePageToken(list, request.pageToken);
    if (beforeSeq === undefined) {
      v.add('page_token', `is not a token from a previous ${method} response`);
    }
  }
  const pageSize = request.pageSize === 0 ? limits.defaultPageSize : request.pageSize;
  return beforeSeq === undefined ? { pageSize } : { pageSize, beforeSeq };
}

export function validateCreatePost(request: CreatePostRequest): { text: string } {
  const v = new Violations();
  const text = checkText(v, request.text);
  v.throwIfAny();
  return { text };
}

export function validatePostId(postId: string): string {
  const v = new Violations();
  const id = checkUuid(v, 'post_id', postId);
  v.throwIfAny();
  return id;
}

export function validateListPosts(request: ListPostsRequest): ListPostsQuery {
  const v = new Violations();
  const authorId = checkUuid(v, 'author_id', request.authorId);
  const page = checkPage(v, 'posts', 'ListPosts', request);
  v.throwIfAny();
  return { authorId, ...page };
}

/** The user to follow or unfollow; following yourself is a request that can never make sense. */
export function validateFollowTarget(userId: string, callerId: string): string {
  const v = new Violations();
  const target = checkUuid(v, 'user_id', userId);
  if (v.list.length === 0 && target === callerId.toLowerCase()) {
    v.add('user_id', 'must not be your own user id: you cannot follow yourself');
  }
  v.throwIfAny();
  return target;
}

export function validateListFollowers(request: ListFollowersRequest): ListFollowsQuery {
  const v = new Violations();
  const userId = checkUuid(v, 'user_id', request.userId);
  const page = checkPage(v, 'followers', 'ListFollowers', request);
  v.throwIfAny();
  return { userId, ...page };
}

export function validateListFollowing(request: ListFollowingRequest): ListFollowsQuery {
  const v = new Violations();
  const userId = checkUuid(v, 'user_id', request.userId);
  const page = checkPage(v, 'following', 'ListFollowing', request);
  v.throwIfAny();
  return { userId, ...page };
}
