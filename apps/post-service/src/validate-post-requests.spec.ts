import { create } from '@bufbuild/protobuf';
import { ListFollowersRequestSchema, ListPostsRequestSchema } from '@switchboard/contracts';
import { violationsOf } from '@switchboard/testing';
import { decodePageToken, encodePageToken } from './page-token';
import {
  normalisePostText,
  validateFollowTarget,
  validateListFollowers,
  validateListPosts,
} from './validate-post-requests';

const ALICE = '0b7e6c1a-5f0e-4c1e-9d43-3f0a3c1b2d4e';
const BOB = '7d1f0a52-3c44-4f8e-a1b2-9e8d7c6b5a41';

// The field rules (text length and characters, id formats, page sizes) are
// the contract's: libs/rpc/src/contract-rules.spec.ts checks them over a socket.

describe('normalisePostText', () => {
  it('trims surrounding whitespace and keeps newlines and tabs inside', () => {
    expect(normalisePostText('  hello\n\tworld \n')).toBe('hello\n\tworld');
  });

  it('turns Windows line ends into newlines', () => {
    expect(normalisePostText('one\r\ntwo')).toBe('one\ntwo');
  });
});

describe('validateListPosts', () => {
  it('lower-cases the author id and defaults the page size', () => {
    expect(
      validateListPosts(create(ListPostsRequestSchema, { authorId: ALICE.toUpperCase() })),
    ).toEqual({
      authorId: ALICE,
      pageSize: 20,
    });
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
  });
});

describe('validateListFollowers', () => {
  it('passes the user id and page size through', () => {
    expect(
      validateListFollowers(create(ListFollowersRequestSchema, { userId: BOB, pageSize: 5 })),
    ).toEqual({ userId: BOB, pageSize: 5 });
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
