import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import {
  Role,
  UserFollowedSchema,
  UserRegisteredSchema,
  type UserFollowed,
} from '@switchboard/contracts';
import { eventSourceOf, type DecodedEvent } from '@switchboard/event-bus';
import {
  as,
  eventually,
  failure,
  startPostTestServer,
  tailEvents,
  type PostTestServer,
} from './testing/post-test-harness';

describe('the post service on the real broker', () => {
  let t: PostTestServer;

  beforeAll(async () => {
    t = await startPostTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  // Published as the auth service does: the post service refuses it from anyone else.
  const asAuth = { source: eventSourceOf('auth-service') };
  const registered = (userId: string, displayName = 'Newcomer') =>
    create(UserRegisteredSchema, {
      userId,
      email: `${userId}@example.com`,
      displayName,
      roles: [Role.CUSTOMER],
      registeredAt: timestampFromDate(new Date()),
    });

  it('learns users from UserRegistered: NOT_FOUND until the event is consumed, then followable', async () => {
    const [newcomer, fan] = [randomUUID(), randomUUID()];
    const early = await failure(t.client.followUser({ userId: newcomer }, as(fan)));
    expect(early.code).toBe(Code.NotFound);

    const producer = t.bus!.createProducer();
    await producer.publish(registered(newcomer), asAuth);
    await eventually(
      () =>
        t.client.followUser({ userId: newcomer }, as(fan)).then(
          () => true,
          () => undefined,
        ),
      60_000,
      'the registered user to become followable',
    );
    const row = await t.storage.db
      .selectFrom('users')
      .selectAll()
      .where('user_id', '=', newcomer)
      .executeTakeFirstOrThrow();
    // The e-mail is not kept: this service has no use for it.
    expect(Object.keys(row).sort()).toEqual([
      'display_name',
      'recorded_at',
      'registered_at',
      'user_id',
    ]);
    expect(row.display_name).toBe('Newcomer');
    await producer.close();
  });

  it('applies a UserRegistered delivered twice (same ce_id) once', async () => {
    const userId = randomUUID();
    const producer = t.bus!.createProducer();
    const eventId = randomUUID();
    const before = t.consumer!.status().duplicates;
    await producer.publish(registered(userId), { ...asAuth, id: eventId });
    await producer.publish(registered(userId), { ...asAuth, id: eventId });
    await eventually(
      async () => (t.consumer!.status().duplicates > before ? true : undefined),
      60_000,
      'the second delivery to be skipped as a duplicate',
    );
    const inbox = await t.storage.db
      .selectFrom('inbox')
      .select('event_id')
      .where('event_id', '=', eventId)
      .execute();
    expect(inbox).toHaveLength(1);
    const users = await t.storage.db
      .selectFrom('users')
      .select('user_id')
      .where('user_id', '=', userId)
      .execute();
    expect(users).toHaveLength(1);
    await producer.close();
  });

  it('dead-letters a UserRegistered whose user id is not a UUID at once, without retries', async () => {
    const producer = t.bus!.createProducer();
    const eventId = randomUUID();
    const retriedBefore = t.consumer!.status().retried;
    let dlq: Map<string, DecodedEvent>;
    try {
      dlq = await tailEvents(t.bus!, {
        topic: 'identity.users.v1.dlq',
        keep: (event) => event.id === eventId,
        enough: (gathered) => gathered.size > 0,
        what: 'the dead letter',
        act: () =>
          producer.publish(registered(`not-a-uuid-${eventId}`), { ...asAuth, id: eventId }),
      });
    } finally {
      await producer.close();
    }
    const letter = dlq.get(eventId)!;
    expect(letter.record.headers.dlq_attempts).toBe('1');
    expect(letter.record.headers.dlq_error).toContain('malformed user_id');
    expect(t.consumer!.status().retried).toBe(retriedBefore);
    const users = await t.storage.db.selectFrom('users').select('user_id').execute();
    expect(users.map((u) => u.user_id)).not.toContain(`not-a-uuid-${eventId}`);
  });

  it('dead-letters a UserRegistered from another source or with a name auth refuses', async () => {
    const producer = t.bus!.createProducer();
    const users = [randomUUID(), randomUUID(), randomUUID()];
    const sent = [
      // This harness's bus is the post service's: a UserRegistered from it is forged.
      await producer.publish(registered(users[0]!)),
      await producer.publish(registered(users[1]!, 'n'.repeat(65)), asAuth),
      await producer.publish(registered(users[2]!, 'tab\tname'), asAuth),
    ];
    let letters: Map<string, DecodedEvent>;
    try {
      letters = await tailEvents(t.bus!, {
        topic: 'identity.users.v1.dlq',
        keep: (event) => sent.some((s) => s.id === event.id),
        enough: (gathered) => gathered.size === sent.length,
        what: 'the dead letters',
      });
    } finally {
      await producer.close();
    }
    const headers = sent.map((s) => letters.get(s.id)!.record.headers);
    expect(headers.map((h) => [h.dlq_attempts, h.dlq_error])).toEqual([
      [
        '0',
        'forbidden_source: switchboard.auth.v1.UserRegistered from /switchboard/post-service ' +
          'is refused: only /switchboard/auth-service publishes it',
      ],
      ['1', 'UserRegistered display_name has 65 characters, more than 64'],
      ['1', 'UserRegistered display_name contains control characters'],
    ]);
    const known = await t.storage.db
      .selectFrom('users')
      .select('user_id')
      .where('user_id', 'in', users)
      .execute();
    expect(known).toEqual([]);
  });

  it('publishes UserFollowed through the outbox relay, keyed by the followed user', async () => {
    const [star, fan] = [randomUUID(), randomUUID()];
    await t.registerUsers(star);
    await t.client.followUser({ userId: star }, as(fan));
    const outbox = await t.storage.db
      .selectFrom('outbox')
      .select('event_id')
      .where('key', '=', star)
      .executeTakeFirstOrThrow();

    const seen = await tailEvents(t.bus!, {
      topic: 'social.posts.v1',
      keep: (event) => event.record.key === star,
      enough: (gathered) => gathered.size > 0,
      what: 'UserFollowed on Kafka',
    });
    const [event] = [...seen.values()] as [DecodedEvent];
    expect(event.id).toBe(outbox.event_id);
    expect(event.schema).toBe(UserFollowedSchema);
    expect(event.message as UserFollowed).toMatchObject({ followerId: fan, followeeId: star });
  });
});
