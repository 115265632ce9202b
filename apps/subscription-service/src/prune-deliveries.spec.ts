import { randomUUID } from 'node:crypto';
import { createStorage, type Storage } from '@switchboard/storage';
import { createTestDatabase, createTestLogger, type TestDatabase } from '@switchboard/testing';
import { migrations } from './migrations';
import { pruneDeliveries } from './prune-deliveries';
import type { StoredDeliveryStatus, SubscriptionDatabase } from './subscription-schema';

describe('pruneDeliveries', () => {
  let database: TestDatabase;
  let storage: Storage<SubscriptionDatabase>;

  beforeAll(async () => {
    database = await createTestDatabase('subscription_prune_spec');
    storage = await createStorage<SubscriptionDatabase>({
      service: 'subscription',
      serviceDatabaseUrl: database.url,
      migrations,
      logger: createTestLogger('subscription-prune-spec'),
    });
  });
  afterAll(async () => {
    await storage?.close();
    await database?.drop();
  });

  it('deletes finished deliveries older than the cutoff, in batches, and never a pending one', async () => {
    const subscriptionId = randomUUID();
    await storage.db
      .insertInto('subscriptions')
      .values({
        subscription_id: subscriptionId,
        sink_url: 'https://example.com/hook',
        filter: JSON.stringify({ types: ['x'] }),
        mode: 'binary',
        description: '',
        secret_sealed: 'sealed',
      })
      .execute();
    const old = new Date('2030-01-01T00:00:00Z');
    const recent = new Date('2030-02-01T00:00:00Z');
    const add = async (status: StoredDeliveryStatus, updatedAt: Date) => {
      const id = randomUUID();
      await storage.db
        .insertInto('deliveries')
        .values({
          delivery_id: id,
          subscription_id: subscriptionId,
          event_id: randomUUID(),
          event_type: 'x',
          job: '{}',
          status,
          updated_at: updatedAt,
        })
        .execute();
      return id;
    };
    await add('delivered', old);
    await add('dead_lettered', old);
    await add('delivered', old);
    const pendingOld = await add('pending', old);
    const recentDone = await add('delivered', recent);

    const cutoff = new Date('2030-01-15T00:00:00Z');
    expect(await pruneDeliveries(storage.db, cutoff, 2)).toBe(2);
    expect(await pruneDeliveries(storage.db, cutoff, 2)).toBe(1);
    expect(await pruneDeliveries(storage.db, cutoff, 2)).toBe(0);
    const left = await storage.db.selectFrom('deliveries').select('delivery_id').execute();
    expect(left.map((r) => r.delivery_id).sort()).toEqual([pendingOld, recentDone].sort());
  });
});
