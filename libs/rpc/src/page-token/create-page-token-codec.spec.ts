import { createPageTokenCodec } from './create-page-token-codec';
import { createSequencePageTokenCodec } from './create-sequence-page-token-codec';

describe('createPageTokenCodec', () => {
  const skus = createPageTokenCodec<string>({
    write: (sku) => sku,
    read: (text) => (/^[A-Z0-9-]+$/.test(text) ? text : undefined),
  });

  it('round-trips a cursor through an opaque base64url token', () => {
    const token = skus.encode('COF-ETH-250');
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token).not.toContain('COF');
    expect(skus.decode(token)).toBe('COF-ETH-250');
  });

  it('refuses what it did not issue: other alphabets, padding, a second spelling, a foreign cursor', () => {
    const token = skus.encode('A');
    // 'QR' decodes to "A" too, but only 'QQ' was ever issued for it.
    for (const bad of ['not base64!', `${token}=`, 'QR', skus.encode('lower case'), '']) {
      expect(skus.decode(bad)).toBeUndefined();
    }
  });
});

describe('createSequencePageTokenCodec', () => {
  const posts = createSequencePageTokenCodec('posts');
  const followers = createSequencePageTokenCodec('followers');

  it('round-trips a sequence and keeps lists apart', () => {
    expect(posts.decode(posts.encode(77n))).toBe(77n);
    expect(followers.decode(posts.encode(77n))).toBeUndefined();
  });

  it('refuses sequences that were never issued: zero, leading zeros, signs, beyond int8', () => {
    const raw = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
    for (const text of ['posts:0', 'posts:007', 'posts:-1', 'posts:', 'posts:1e3']) {
      expect(posts.decode(raw(text))).toBeUndefined();
    }
    expect(posts.decode(raw('posts:9223372036854775807'))).toBe(9_223_372_036_854_775_807n);
    expect(posts.decode(raw('posts:9223372036854775808'))).toBeUndefined();
  });
});
