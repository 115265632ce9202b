import type { PostService } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import type { CallContext, ServiceImpl } from '@switchboard/rpc';
import type { FollowGraph } from './create-follow-graph';
import type { PostStore } from './create-post-store';
import type { Page } from './keyset-page';
import { encodePageToken, type PageList } from './page-token';
import { followMessage, postMessage } from './post-messages';
import {
  normaliseId,
  normalisePostText,
  validateFollowTarget,
  validateListFollowers,
  validateListFollowing,
  validateListPosts,
} from './validate-post-requests';

export { postAccessPolicy } from '@switchboard/contracts';

export interface PostServiceDeps {
  posts: PostStore;
  follows: FollowGraph;
}

function callerIdOf(ctx: CallContext): string {
  // The access policy guarantees a caller; this only guards a policy edited to 'public'.
  if (ctx.caller === undefined) {
    throw new DomainError('UNAUTHENTICATED', `${ctx.method} needs a bearer token`);
  }
  return ctx.caller.userId.toLowerCase();
}

function nextToken(list: PageList, page: Page<unknown>): string {
  return page.nextBeforeSeq === undefined ? '' : encodePageToken(list, page.nextBeforeSeq);
}

/**
 * The gRPC face of posts and the follow graph: validates each request, calls
 * the store, and shapes the answer. No business rule lives here that is not
 * also a validation rule.
 */
export function createPostService(deps: PostServiceDeps): ServiceImpl<typeof PostService> {
  const { posts, follows } = deps;
  return {
    async createPost(request, ctx) {
      const text = normalisePostText(request.text);
      const row = await posts.create(callerIdOf(ctx), text);
      ctx.logger.info({ postId: row.post_id }, 'post created');
      return { post: postMessage(row) };
    },

    async getPost(request) {
      return { post: postMessage(await posts.get(normaliseId(request.postId))) };
    },

    async listPosts(request) {
      const page = await posts.listByAuthor(validateListPosts(request));
      return { posts: page.rows.map(postMessage), nextPageToken: nextToken('posts', page) };
    },

    async followUser(request, ctx) {
      const callerId = callerIdOf(ctx);
      const followeeId = validateFollowTarget(request.userId, callerId);
      const created = await follows.follow(callerId, followeeId);
      if (created) ctx.logger.info({ followeeId }, 'user followed');
      return {};
    },

    async unfollowUser(request, ctx) {
      const callerId = callerIdOf(ctx);
      const followeeId = validateFollowTarget(request.userId, callerId);
      const removed = await follows.unfollow(callerId, followeeId);
      if (removed) ctx.logger.info({ followeeId }, 'user unfollowed');
      return {};
    },

    async listFollowers(request) {
      const page = await follows.listFollowers(validateListFollowers(request));
      return {
        followers: page.rows.map((row) => followMessage(row.follower_id, row)),
        nextPageToken: nextToken('followers', page),
      };
    },

    async listFollowing(request) {
      const page = await follows.listFollowing(validateListFollowing(request));
      return {
        following: page.rows.map((row) => followMessage(row.followee_id, row)),
        nextPageToken: nextToken('following', page),
      };
    },
  };
}
