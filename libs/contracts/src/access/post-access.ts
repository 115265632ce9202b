import type { PostService } from '../gen/switchboard/post/v1/post_service_pb';
import type { AccessPolicy } from './access-policy';

/** Everything needs a signed-in caller: posts and follows are attributed to the token's user. */
export const postAccessPolicy: AccessPolicy<typeof PostService> = {
  createPost: 'authenticated',
  getPost: 'authenticated',
  listPosts: 'authenticated',
  followUser: 'authenticated',
  unfollowUser: 'authenticated',
  listFollowers: 'authenticated',
  listFollowing: 'authenticated',
};
