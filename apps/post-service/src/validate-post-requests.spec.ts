import { create } from '@bufbuild/protobuf';
import {
  CreatePostRequestSchema,
  ListFollowersRequestSchema,
  ListPostsRequestSchema,
} from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import { decodePageToken, encodePageToken } from './page-token';
import {
  validateCreatePost,
  validateFollowTarget,
  validateListFollowers,
  validateListPosts,
} from './validate-post-requests';

const ALICE = '0b7e6c1a-5f0e-4c1e-9d43-3f0a3c1b2d4e';
const BOB = '7d1f0a52-3c44-4f8e-a1b2-9e8d7c6b5a41';

function violationsOf(fn: () => unknown): { field: string; description: string }[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err.violations;
    throw err;
  }
  throw new Error('expected a validation error');
}

const post = (text: string) => validateCreatePost(create(CreatePostRequestSchema, { text }));

describe('validateCreatePost', () => {
  it('trims surrounding whitespace and keeps newlines and tabs inside', () => {
    expect(post('  hello\n\tworld \n')).toEqual({ text: 'hello\n\tworld' });
  });

  it('turns Windows line ends into newlines', () => {
    expect(post('one\r\ntwo')).toEqual({ text: 'one\ntwo' });
  });

  it('counts code points, not UTF-16 units: 2000 emoji fit, 2001 do not', () => {
    expect(post('😀'.repeat(2000)).text).toHaveLength(4000);
    expect(violationsOf(() => post('😀'.repeat(2001)))).toEqual([
      { field: 'text', description: 'must be at most 2000 characters (got 2001)' },
    ]);
  });

  it('measures after trimming, so padding does not count against the limit', () => {
    expect(post(`   ${'a'.repeat(2000)}   `).text).toHaveLength(2000);
  });

  it('refuses empty and whitespace-only text', () => {
    for (const text of ['', '   ', '\n\t\r\n']) {
      expect(violationsOf(() => post(text))).toEqual([
        { field: 'text', description: 'is required (1-2000 characters, not only whitespace)' },
      ]);
    }
  });

  it('refuses control characters other than newline and tab', () => {
    for (const text of [
      'a\u0000b',
      'bell\u0007',
      'lone\rreturn',
      'esc\u001b[31m',
      'del\u007f',
      'c1\u0085',
    ]) {
      expect(violationsOf(() => post(text))).toEqual([
        {
          field: 'text',
          description: 'must not contain control characters other than newline and tab',
        },
      ]);
    }
  });
});

describe('validateListPosts', () => {
  it('requires a well-formed author id and lower-cases it', () => {
    expect(
      validateListPosts(create(ListPostsRequestSchema, { authorId: ALICE.toUpperCase() })),
    ).toEqual({
      authorId: ALICE,
      pageSize: 20,
    });
    expect(violationsOf(() => validateListPosts(create(ListPostsRequestSchema, {})))).toEqual([
      { field: 'author_id', description: 'is required' },
    ]);
    const bad = violationsOf(() =>
      validateListPosts(create(ListPostsRequestSchema, { authorId: 'alice', pageSize: 101 })),
    );
    expect(bad.map((v) => v.field)).toEqual(['author_id', 'page_size']);
  });

  it('accepts only its own page tokens', () => {
    const token = encodePageToken('posts', 42n);
    expect(
      validateListPosts(create(ListPostsRequestSchema, { authorId: ALICE, pageToken: token })),
    ).toEqual({ authorId: ALICE, pageSize: 20, beforeSeq: 42n });
    const foreign = encodePageToken('followers', 42n);
    expect(
      violationsOf(() =>
        validateListPosts(create(ListPostsRequestSchema, { authorId: ALICE, pageToken: foreign })),
      ),
    ).toEqual([
      { field: 'page_token', description: 'is not a token from a previous ListPosts response' },
    ]);
  });
});

describe('validateFollowTarget', () => {
  it('refuses following yourself, whatever the case of the id', () => {
    expect(validateFollowTarget(BOB, ALICE)).toBe(BOB);
    expect(violationsOf(() => validateFollowTarget(ALICE.toUpperCase(), ALICE))).toEqual([
      { field: 'user_id', description: 'must not be your own user id: you cannot follow yourself' },
    ]);
    expect(violationsOf(() => validateFollowTarget('', ALICE))[0]?.description).toBe('is required');
  });
});

describe('validateListFollowers', () => {
  it('requires the user id and a sane page size', () => {
    expect(
      validateListFollowers(create(ListFollowersRequestSchema, { userId: BOB, pageSize: 5 })),
    ).toEqual({ userId: BOB, pageSize: 5 });
    const bad = violationsOf(() =>
      validateListFollowers(create(ListFollowersRequestSchema, { pageSize: -1 })),
    );
    expect(bad.map((v) => v.field)).toEqual(['user_id', 'page_size']);
  });
});

describe('page tokens', () => {
  it('round-trip and reject anything this service did not issue', () => {
    expect(decodePageToken('posts', encodePageToken('posts', 9_007_199_254_740_993n))).toBe(
      9_007_199_254_740_993n,
    );
    const tampered = [
      '',
      'not base64!',
      Buffer.from('posts:0').toString('base64url'),
      Buffer.from('posts:-1').toString('base64url'),
      Buffer.from('posts:007').toString('base64url'),
      Buffer.from('posts:9223372036854775808').toString('base64url'),
      Buffer.from('posts:12 ').toString('base64url'),
      `${encodePageToken('posts', 12n)}=`,
      encodePageToken('following', 12n),
    ];
    for (const token of tampered) expect(decodePageToken('posts', token)).toBeUndefined();
  });
});
