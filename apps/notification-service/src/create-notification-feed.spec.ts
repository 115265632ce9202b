import { randomUUID } from 'node:crypto';
import { createLogger } from '@switchboard/logger';
import { DomainError } from '@switchboard/errors';
import { createNotificationFeed, type NotificationFeed } from './create-notification-feed';
import type { NotificationRow } from './notification-schema';
import {
  commitPost,
  eventually,
  seedFollowers,
  shareReplica,
  type NotificationReplica,
} from './testing/notification-test-harness';

describe('the notification feed', () => {
  let replica: NotificationReplica;
  const logger = createLogger({ service: 'feed-test', level: 'silent' });
  shareReplica((r) => (replica = r));

  async function openFeed(options: { maxQueue?: number } = {}): Promise<NotificationFeed> {
    const feed = createNotificationFeed({
      storage: replica.storage,
      store: replica.notifications.store,
      logger,
      ...options,
    });
    await feed.start();
    return feed;
  }

  /** Pulls from a watch in the background, keeping what arrives and how it ended. */
  function drain(iterator: AsyncGenerator<NotificationRow>) {
    const rows: NotificationRow[] = [];
    let error: unknown;
    let done = false;
    const finished = (async () => {
      try {
        for await (const row of iterator) rows.push(row);
      } catch (err) {
        error = err;
      } finally {
        done = true;
      }
    })();
    return { rows, error: () => error, done: () => done, finished };
  }

  it('ends a watch whose reader falls behind with WATCH_FELL_BEHIND', async () => {
    const feed = await openFeed({ maxQueue: 3 });
    const [author, fan] = [randomUUID(), randomUUID()];
    await seedFollowers(replica.storage, author, [fan]);
    const iterator = feed.watch(fan, new AbortController().signal);
    // Start the generator (it registers on the first pull), then stop reading.
    const first = iterator.next();
    await eventually(
      async () => (feed.watchers(fan) === 1 ? true : undefined),
      5_000,
      'registration',
    );
    for (let i = 0; i < 6; i++) await commitPost(replica.storage, author, `flood ${i}`);
    expect((await first).value).toMatchObject({ recipient_id: fan, preview: 'flood 0' });
    const rest = drain(iterator);
    await rest.finished;
    expect(rest.error()).toBeInstanceOf(DomainError);
    expect((rest.error() as DomainError).code).toBe('WATCH_FELL_BEHIND');
    expect(feed.watchers(fan)).toBe(0);
    await feed.close();
  });

  it('ends a watch when its signal aborts, and every watch with WATCH_UNAVAILABLE on close', async () => {
    const feed = await openFeed();
    const [fan, other] = [randomUUID(), randomUUID()];
    const cancelled = new AbortController();
    const leaving = drain(feed.watch(fan, cancelled.signal));
    const staying = drain(feed.watch(other, new AbortController().signal));
    await eventually(async () => (feed.watchers() === 2 ? true : undefined), 5_000, 'registration');
    cancelled.abort();
    await leaving.finished;
    expect([leaving.error(), feed.watchers(fan)]).toEqual([undefined, 0]);

    await feed.close();
    await staying.finished;
    expect((staying.error() as DomainError).code).toBe('WATCH_UNAVAILABLE');
    const late = drain(feed.watch(fan, new AbortController().signal));
    await late.finished;
    expect((late.error() as DomainError).code).toBe('WATCH_UNAVAILABLE');
    expect(feed.watchers()).toBe(0);
  });
});
