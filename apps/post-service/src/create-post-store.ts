import { randomUUID } from 'node:crypto';
import { DomainError } from '@switchboard/errors';
import { appendToOutbox } from '@switchboard/event-bus';
import { runInTransaction, type Kysely } from '@switchboard/storage';
import { toPage, type Page } from './keyset-page';
import { lockEventKey } from './lock-event-key';
import { postCreatedEvent, type PostRow } from './post-messages';
import type { PostDatabase } from './post-schema';
import type { ListPostsQuery } from './validate-post-requests';

export interface PostStore {
  /** Stores the post and its PostCreated event in one transaction: both or neither. */
  create(authorId: string, text: string): Promise<PostRow>;
  get(postId: string): Promise<PostRow>;
  /** One author's posts, newest first. */
  listByAuthor(query: ListPostsQuery): Promise<Page<PostRow>>;
}

export interface PostStoreOptions {
  /** The service's database, or a transaction to run inside of. */
  db: Kysely<PostDatabase>;
  /** CloudEvents source of the PostCreated events. */
  source: string;
}

export function createPostStore(options: PostStoreOptions): PostStore {
  const { db, source } = options;
  return {
    create(authorId, text) {
      return runInTransaction(db, async (trx) => {
        // See lockEventKey: keeps this post behind any follow of its author that committed first.
        await lockEventKey(trx, authorId);
        const row = await trx
          .insertInto('posts')
          .values({ post_id: randomUUID(), author_id: authorId, text, created_at: new Date() })
          .returningAll()
          .executeTakeFirstOrThrow();
        await appendToOutbox(trx, [postCreatedEvent(row)], { source });
        return row;
      });
    },

    async get(postId) {
      const row = await db
        .selectFrom('posts')
        .selectAll()
        .where('post_id', '=', postId)
        .executeTakeFirst();
      if (row === undefined) {
        throw new DomainError('POST_NOT_FOUND', `post ${postId} not found`, {
          details: { postId },
        });
      }
      return row;
    },

    async listByAuthor({ authorId, pageSize, beforeSeq }) {
      let query = db
        .selectFrom('posts')
        .selectAll()
        .where('author_id', '=', authorId)
        .orderBy('seq', 'desc')
        .limit(pageSize + 1);
      if (beforeSeq !== undefined) query = query.where('seq', '<', beforeSeq);
      return toPage(await query.execute(), pageSize);
    },
  };
}
