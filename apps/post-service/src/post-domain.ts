import type { PostService } from '@switchboard/contracts';
import type { Subscription } from '@switchboard/event-bus';
import type { ServiceImpl } from '@switchboard/rpc';
import type { Kysely } from '@switchboard/storage';
import { createFollowGraph, type FollowGraph } from './create-follow-graph';
import { createPostService } from './create-post-service';
import { createPostStore, type PostStore } from './create-post-store';
import { createUserDirectory, type UserDirectory } from './create-user-directory';
import type { PostDatabase } from './post-schema';
import { createPostSubscriptions } from './subscriptions';

export interface PostDomainOptions {
  db: Kysely<PostDatabase>;
  /** CloudEvents source of the events this service writes to its outbox. */
  eventSource: string;
}

export interface PostDomain {
  handlers: ServiceImpl<typeof PostService>;
  subscriptions: readonly Subscription<PostDatabase>[];
  posts: PostStore;
  follows: FollowGraph;
  users: UserDirectory;
}

/**
 * Builds the post domain over its database: the one place its parts are
 * assembled. No Kafka, so specs serve it with or without a broker;
 * post-module.ts adds the relay and the consumer for the running service.
 */
export function createPostDomain(options: PostDomainOptions): PostDomain {
  const { db, eventSource: source } = options;
  const users = createUserDirectory();
  const posts = createPostStore({ db, source });
  const follows = createFollowGraph({ db, users, source });
  return {
    handlers: createPostService({ posts, follows }),
    subscriptions: createPostSubscriptions({ users }),
    posts,
    follows,
    users,
  };
}
