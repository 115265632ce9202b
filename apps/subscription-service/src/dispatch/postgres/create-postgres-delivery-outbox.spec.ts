import { randomUUID } from 'node:crypto';
import { createStorage, type Storage } from '@switchboard/storage';
import { createTestDatabase, createTestLogger, type TestDatabase } from '@switchboard/testing';
import { migrations } from '../../migrations';
import type { SubscriptionDatabase } from '../../subscription-schema';
import { createPostgresDeliveryOutbox } from './create-postgres-delivery-outbox';

describe('createPostgresDeliveryOutbox', () => {
  let database: TestDatabase;
  let storage: Storage<SubscriptionDatabase>;

  beforeAll(async () => {
    database = await createTestDatabase('subscription_outbox_spec');
    storage = await createStorage<SubscriptionDatabase>({
      service: 'subscription',
      serviceDatabaseUrl: database.url,
      migrations,
      logger: createTestLogger('subscription-outbox-spec'),
    });
  });
  afterAll(async () => {
    await storage?.close();
    await database?.drop();
  });

  async function addDeliveries(n: number): Promise<string[]> {
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
    const ids = Array.from({ length: n }, () => randomUUID());
    for (const id of ids) {
      await storage.db
        .insertInto('deliveries')
        .values({
          delivery_id: id,
          subscription_id: subscriptionId,
          event_id: randomUUID(),
          event_type: 'x',
          job: JSON.stringify({ deliveryId: id }),
        })
        .execute();
    }
    return ids;
  }

  it('claims oldest first, never the same row twice while claimed, and forgets what was sent', async () => {
    const ids = await addDeliveries(5);
    const outbox = createPostgresDeliveryOutbox(storage.db);
    const [first, second] = await Promise.all([outbox.claim(3, 60_000), outbox.claim(3, 60_000)]);
    const claimed = [...first!, ...second!].map((d) => d.deliveryId);
    expect(claimed.sort()).toEqual([...ids].sort());
    const larger = first!.length >= second!.length ? first! : second!;
    expect(JSON.parse(Buffer.from(larger[0]!.body).toString())).toEqual({
      deliveryId: larger[0]!.deliveryId,
    });

    // Nothing left to claim; a sent row never comes back, a released one does.
    expect(await outbox.claim(10, 60_000)).toEqual([]);
    await outbox.markSent(ids.slice(0, 4));
    await outbox.release([ids[4]!, ids[0]!]);
    const again = await outbox.claim(10, 60_000);
    expect(again.map((d) => d.deliveryId)).toEqual([ids[4]]);
  });

  it('gives an expired claim (a dispatcher that died) to the next one', async () => {
    const [id] = await addDeliveries(1);
    const outbox = createPostgresDeliveryOutbox(storage.db);
    expect((await outbox.claim(10, 60_000)).map((d) => d.deliveryId)).toEqual([id]);
    expect(await outbox.claim(10, 60_000)).toEqual([]);
    // The claim runs out: moved into the past rather than waited for.
    await storage.db
      .updateTable('deliveries')
      .set({ claimed_until: new Date(Date.now() - 60_000) })
      .where('delivery_id', '=', id!)
      .execute();
    const retaken = await outbox.claim(10, 60_000);
    expect(retaken.map((d) => d.deliveryId)).toEqual([id]);
  });
});
