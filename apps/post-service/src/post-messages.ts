import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  PostCreatedSchema,
  UserFollowedSchema,
  UserUnfollowedSchema,
  type FollowSchema,
  type PostCreated,
  type PostSchema,
  type UserFollowed,
  type UserUnfollowed,
} from '@switchboard/contracts';
import type { Selectable } from '@switchboard/storage';
import type { FollowsTable, PostsTable } from './post-schema';

export type PostRow = Selectable<PostsTable>;
export type FollowRow = Selectable<FollowsTable>;

export function postMessage(row: PostRow): MessageInitShape<typeof PostSchema> {
  return {
    postId: row.post_id,
    authorId: row.author_id,
    text: row.text,
    createdAt: timestampFromDate(row.created_at),
  };
}

/** One entry of ListFollowers (the follower) or ListFollowing (the followee). */
export function followMessage(
  userId: string,
  row: FollowRow,
): MessageInitShape<typeof FollowSchema> {
  return { userId, followedAt: timestampFromDate(row.followed_at) };
}

export function postCreatedEvent(row: PostRow): PostCreated {
  return create(PostCreatedSchema, {
    postId: row.post_id,
    authorId: row.author_id,
    text: row.text,
    createdAt: timestampFromDate(row.created_at),
  });
}

export function userFollowedEvent(row: FollowRow): UserFollowed {
  return create(UserFollowedSchema, {
    followerId: row.follower_id,
    followeeId: row.followee_id,
    followedAt: timestampFromDate(row.followed_at),
  });
}

export function userUnfollowedEvent(
  followerId: string,
  followeeId: string,
  unfollowedAt: Date,
): UserUnfollowed {
  return create(UserUnfollowedSchema, {
    followerId,
    followeeId,
    unfollowedAt: timestampFromDate(unfollowedAt),
  });
}
