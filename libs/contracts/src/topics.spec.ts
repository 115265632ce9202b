import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readFileSync } from 'node:fs';
import { allTopics, eventSourceOf, OrderPlacedSchema, topics } from './index';
import { create } from '@bufbuild/protobuf';

function genFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? genFiles(join(dir, e.name))
      : e.name.endsWith('_pb.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('topic registry', () => {
  it('maps every event type to exactly one topic', () => {
    const owners = new Map<string, string>();
    for (const topic of allTopics) {
      for (const { schema } of topic.events) {
        expect(owners.get(schema.typeName)).toBeUndefined();
        owners.set(schema.typeName, topic.name);
      }
    }
    expect(owners.get('switchboard.order.v1.OrderPlaced')).toBe('sales.orders.v1');
    expect(owners.get('switchboard.post.v1.UserFollowed')).toBe('social.posts.v1');
  });

  it('allows each event type from the one service whose outbox writes it', () => {
    const sources = Object.fromEntries(
      allTopics.flatMap((t) => t.events.map((e) => [e.schema.name, e.source])),
    );
    expect(sources).toEqual({
      UserRegistered: eventSourceOf('auth-service'),
      ProductUpserted: eventSourceOf('inventory-service'),
      OrderPlaced: eventSourceOf('order-service'),
      OrderCancelled: eventSourceOf('order-service'),
      PostCreated: eventSourceOf('post-service'),
      UserFollowed: eventSourceOf('post-service'),
      UserUnfollowed: eventSourceOf('post-service'),
    });
    expect(eventSourceOf('order-service')).toBe('/switchboard/order-service');
  });

  it('names every event in the past tense', () => {
    for (const topic of allTopics) {
      for (const { schema } of topic.events) expect(schema.name).toMatch(/ed$/);
    }
  });

  it('keys orders by order id', () => {
    const spec = topics.salesOrders.events[0]!;
    expect(spec.key(create(OrderPlacedSchema, { orderId: 'o-1', customerId: 'c-1' }))).toBe('o-1');
  });

  it('exports every generated file from the public index', () => {
    const index = readFileSync(join(__dirname, 'index.ts'), 'utf8');
    for (const file of genFiles(join(__dirname, 'gen'))) {
      const spec = './' + relative(__dirname, file).replace(/\.ts$/, '');
      expect(index).toContain(`export * from '${spec}';`);
    }
  });
});
