import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { ListNotificationsRequestSchema, MarkReadRequestSchema } from '@switchboard/contracts';
import { violationsOf } from '@switchboard/testing';
import { NOTIFICATION_ID_NAMESPACE, notificationIdFor, uuidV5 } from './notification-id';
import { previewOf } from './notification-preview';
import { MAX_SIGNAL_BYTES, decodeSignal, encodeSignals } from './notification-signal';
import { decodePageToken, encodePageToken } from './page-token';
import {
  distinctNotificationIds,
  validateListNotifications,
} from './validate-notification-requests';

describe('notification ids', () => {
  it('are RFC 9562 version 5 UUIDs (checked against the RFC example)', () => {
    // RFC 9562 appendix A.4: DNS namespace, "www.example.com".
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('are the same for the same event and recipient, and differ otherwise', () => {
    const [event, other, alice, bob] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const id = notificationIdFor(event, alice);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(notificationIdFor(event, alice.toUpperCase())).toBe(id);
    expect(notificationIdFor(event, bob)).not.toBe(id);
    expect(notificationIdFor(other, alice)).not.toBe(id);
    expect(NOTIFICATION_ID_NAMESPACE).toBe('4f6d1b2e-8c0a-4e57-9a43-2b1f7e5c9d60');
  });
});

describe('previewOf', () => {
  it('keeps a short text whole, on one line', () => {
    expect(previewOf('Hello\n\n  world')).toBe('Hello world');
  });

  it('cuts a long text to 140 code points, ellipsis included', () => {
    const preview = previewOf('a'.repeat(200));
    expect(preview).toBe(`${'a'.repeat(139)}…`);
    expect([...preview]).toHaveLength(140);
    expect(previewOf('b'.repeat(140))).toBe('b'.repeat(140));
  });

  it('never splits a grapheme cluster such as an emoji family', () => {
    const family = '👨‍👩‍👧'; // five code points, one grapheme
    const preview = previewOf(`${'x'.repeat(136)}${family}${'y'.repeat(10)}`);
    // 136 + 5 would pass 139, so the family is dropped whole.
    expect(preview).toBe(`${'x'.repeat(136)}…`);
  });
});

describe('notification signals', () => {
  const items = (n: number) =>
    Array.from({ length: n }, () => ({ recipientId: randomUUID(), notificationId: randomUUID() }));

  it('round-trip through JSON payloads under the 8000-byte NOTIFY limit', () => {
    const all = items(3_000);
    const payloads = encodeSignals(all);
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) {
      expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_SIGNAL_BYTES);
    }
    expect(payloads.flatMap(decodeSignal)).toEqual(all);
  });

  it('packs payloads tightly', () => {
    const one = encodeSignals(items(1))[0]!;
    const perPayload = Math.floor(MAX_SIGNAL_BYTES / one.length);
    expect(encodeSignals(items(perPayload))).toHaveLength(1);
    expect(encodeSignals([])).toEqual([]);
  });

  it('ignores malformed payloads and entries instead of throwing', () => {
    const good = { recipientId: randomUUID(), notificationId: randomUUID() };
    expect(decodeSignal('not json')).toEqual([]);
    expect(decodeSignal('{"a":1}')).toEqual([]);
    expect(
      decodeSignal(
        JSON.stringify([
          ['x', 'y'],
          [1, 2],
          [good.recipientId, good.notificationId],
        ]),
      ),
    ).toEqual([good]);
  });
});

describe('ListNotifications and MarkRead requests', () => {
  const me = randomUUID();

  it('default the page size, and accept only ListNotifications tokens', () => {
    expect(validateListNotifications(create(ListNotificationsRequestSchema, {}), me)).toEqual({
      recipientId: me,
      pageSize: 20,
      unreadOnly: false,
    });
    const token = encodePageToken(77n);
    expect(decodePageToken(token)).toBe(77n);
    expect(
      validateListNotifications(
        create(ListNotificationsRequestSchema, { pageToken: token, unreadOnly: true, pageSize: 3 }),
        me,
      ),
    ).toEqual({ recipientId: me, pageSize: 3, beforeSeq: 77n, unreadOnly: true });
    const bad = violationsOf(() =>
      validateListNotifications(
        create(ListNotificationsRequestSchema, {
          pageToken: Buffer.from('posts:77').toString('base64url'),
        }),
        me,
      ),
    );
    expect(bad.map((v) => v.field)).toEqual(['page_token']);
  });

  // The id count and format are the contract's: libs/rpc/src/contract-rules.spec.ts.
  it('deduplicate the ids MarkRead names, whatever their case', () => {
    const id = randomUUID();
    expect(
      distinctNotificationIds(
        create(MarkReadRequestSchema, { notificationIds: [id, id.toUpperCase()] }),
      ),
    ).toEqual([id]);
  });
});
