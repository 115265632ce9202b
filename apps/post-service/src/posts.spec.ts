import { randomUUID } from 'node:crypto';
import { fromBinary } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { PostCreatedSchema } from '@switchboard/contracts';
import { createPostStore } from './create-post-store';
import { encodePageToken } from './page-token';
import {
  EVENT_SOURCE,
  anonymous,
  as,
  errorInfo,
  failure,
  forged,
  startPostTestServer,
  type PostTestServer,
} from './testing/post-test-harness';

describe('PostService posts', () => {
  let t: PostTestServer;

  beforeAll(async () => {
    t = await startPostTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  async function outboxRows(key: string) {
    return t.storage.db
      .selectFrom('outbox')
      .selectAll()
      .where('key', '=', key)
      .orderBy('id')
      .execute();
  }

  describe('CreatePost', () => {
    it('stores the post and writes PostCreated, keyed by the author, to the outbox', async () => {
      const alice = randomUUID();
      const res = await t.client.createPost({ text: '  Hello,\r\nworld  ' }, as(alice));
      expect(res.post).toMatchObject({ authorId: alice, text: 'Hello,\nworld' });
      const postId = res.post?.postId ?? '';
      expect(postId).toMatch(/^[0-9a-f-]{36}$/);

      const rows = await outboxRows(alice);
      expect(rows).toHaveLength(1);
      const [row] = rows as [(typeof rows)[number]];
      expect(row).toMatchObject({
        topic: 'social.posts.v1',
        type: 'switchboard.post.v1.PostCreated',
        published_at: null,
      });
      expect((JSON.parse(row.headers) as Record<string, string>).ce_source).toBe(EVENT_SOURCE);
      const event = fromBinary(PostCreatedSchema, row.payload);
      expect(event).toMatchObject({ postId, authorId: alice, text: 'Hello,\nworld' });
      // The event's time is the stored time, to the millisecond.
      const got = await t.client.getPost({ postId }, as(randomUUID()));
      expect(event.createdAt && timestampDate(event.createdAt).getTime()).toBe(
        got.post?.createdAt && timestampDate(got.post.createdAt).getTime(),
      );
    });

    it('answers INVALID_ARGUMENT for bad text and stores nothing', async () => {
      const author = randomUUID();
      const cases: [string, string][] = [
        ['', 'text: is required (1-2000 characters, not only whitespace)'],
        [' \n ', 'text: is required (1-2000 characters, not only whitespace)'],
        [
          'x'.repeat(2001),
          'text: must be at most 2000 characters, not counting surrounding whitespace',
        ],
        ['beep\u0007', 'text: must not contain control characters other than newline and tab'],
      ];
      for (const [text, message] of cases) {
        const err = await failure(t.client.createPost({ text }, as(author)));
        expect([err.code, err.rawMessage, errorInfo(err).code]).toEqual([
          Code.InvalidArgument,
          message,
          'INVALID_ARGUMENT',
        ]);
      }
      expect(await outboxRows(author)).toHaveLength(0);
      const listed = await t.client.listPosts({ authorId: author }, as(author));
      expect(listed.posts).toEqual([]);
    });

    it('accepts exactly 2000 characters, counted in code points', async () => {
      const res = await t.client.createPost({ text: '🙂'.repeat(2000) }, as(randomUUID()));
      expect([...(res.post?.text ?? '')]).toHaveLength(2000);
    });

    it('needs a valid token', async () => {
      expect((await failure(t.client.createPost({ text: 'hi' }, anonymous))).code).toBe(
        Code.Unauthenticated,
      );
      expect((await failure(t.client.createPost({ text: 'hi' }, forged))).code).toBe(
        Code.Unauthenticated,
      );
    });

    it('loses the event together with the post when the transaction rolls back', async () => {
      const author = randomUUID();
      const attempt = t.storage.db.transaction().execute(async (trx) => {
        await createPostStore({ db: trx, source: EVENT_SOURCE }).create(author, 'never');
        throw new Error('something after the post failed');
      });
      await expect(attempt).rejects.toThrow('something after the post failed');
      expect(await outboxRows(author)).toHaveLength(0);
      expect((await t.client.listPosts({ authorId: author }, as(author))).posts).toEqual([]);
    });
  });

  describe('GetPost', () => {
    it('finds a post, answers NOT_FOUND for an unknown id and INVALID_ARGUMENT for a malformed one', async () => {
      const author = randomUUID();
      const created = await t.client.createPost({ text: 'findable' }, as(author));
      const got = await t.client.getPost({ postId: created.post?.postId ?? '' }, as(randomUUID()));
      expect(got.post).toEqual(created.post);

      const unknown = randomUUID();
      const missing = await failure(t.client.getPost({ postId: unknown }, as(author)));
      expect([missing.code, errorInfo(missing).code, missing.rawMessage]).toEqual([
        Code.NotFound,
        'POST_NOT_FOUND',
        `post ${unknown} not found`,
      ]);
      const malformed = await failure(t.client.getPost({ postId: 'post-1' }, as(author)));
      expect(malformed.code).toBe(Code.InvalidArgument);
      expect(malformed.rawMessage).toBe('post_id: must be a valid UUID');
      expect((await failure(t.client.getPost({ postId: unknown }, anonymous))).code).toBe(
        Code.Unauthenticated,
      );
    });
  });

  describe('ListPosts', () => {
    const author = randomUUID();
    const other = randomUUID();

    beforeAll(async () => {
      for (let i = 0; i < 7; i++) {
        await t.client.createPost({ text: `post ${i}` }, as(author));
        await t.client.createPost({ text: `other ${i}` }, as(other));
      }
    });

    async function listAll(pageSize: number) {
      const pages: string[][] = [];
      const tokens: string[] = [];
      let pageToken = '';
      do {
        const res = await t.client.listPosts({ authorId: author, pageSize, pageToken }, as(other));
        pages.push(res.posts.map((p) => p.text));
        tokens.push(res.nextPageToken);
        pageToken = res.nextPageToken;
      } while (pageToken !== '');
      return { pages, tokens };
    }

    it("walks one author's posts once, newest first, in pages of the size asked", async () => {
      const { pages, tokens } = await listAll(3);
      expect(pages).toEqual([
        ['post 6', 'post 5', 'post 4'],
        ['post 3', 'post 2', 'post 1'],
        ['post 0'],
      ]);
      expect(tokens.at(-1)).toBe('');
    });

    it('ends with an empty token when the last page is exactly full', async () => {
      const { pages, tokens } = await listAll(7);
      expect(pages).toHaveLength(1);
      expect(tokens).toEqual(['']);
    });

    it('keeps its place when new posts arrive between pages', async () => {
      const writer = randomUUID();
      for (const text of ['a', 'b', 'c', 'd']) await t.client.createPost({ text }, as(writer));
      const first = await t.client.listPosts({ authorId: writer, pageSize: 2 }, as(writer));
      expect(first.posts.map((p) => p.text)).toEqual(['d', 'c']);
      await t.client.createPost({ text: 'e' }, as(writer));
      const second = await t.client.listPosts(
        { authorId: writer, pageSize: 2, pageToken: first.nextPageToken },
        as(writer),
      );
      // An offset would now repeat "c"; the cursor does not.
      expect(second.posts.map((p) => p.text)).toEqual(['b', 'a']);
    });

    it('requires a well-formed author id, a sane page size and its own tokens', async () => {
      const missing = await failure(t.client.listPosts({}, as(author)));
      expect([missing.code, missing.rawMessage]).toEqual([
        Code.InvalidArgument,
        'author_id: is required',
      ]);
      const malformed = await failure(t.client.listPosts({ authorId: 'bob' }, as(author)));
      expect(malformed.rawMessage).toMatch(/^author_id: must be a valid UUID/);
      const big = await failure(
        t.client.listPosts({ authorId: author, pageSize: 101 }, as(author)),
      );
      expect(big.rawMessage).toBe(
        'page_size: must be between 1 and 100, or 0 for the default of 20',
      );
      for (const pageToken of ['!!', encodePageToken('followers', 5n), 'cG9zdHM6MA']) {
        const err = await failure(t.client.listPosts({ authorId: author, pageToken }, as(author)));
        expect(err.rawMessage).toBe(
          'page_token: is not a token from a previous ListPosts response',
        );
      }
    });

    it('answers an empty list for an author with no posts', async () => {
      const res = await t.client.listPosts({ authorId: randomUUID() }, as(author));
      expect(res).toMatchObject({ posts: [], nextPageToken: '' });
    });
  });
});
