import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { eventSourceOf } from './event-source';
import { UserRegisteredSchema } from './gen/switchboard/auth/v1/events_pb';
import { ProductUpsertedSchema } from './gen/switchboard/inventory/v1/events_pb';
import { OrderCancelledSchema, OrderPlacedSchema } from './gen/switchboard/order/v1/events_pb';
import {
  PostCreatedSchema,
  UserFollowedSchema,
  UserUnfollowedSchema,
} from './gen/switchboard/post/v1/events_pb';

/**
 * The topic registry: which event messages travel on which topic, how many
 * partitions it has and which field is the record key. The key decides the
 * partition, and therefore what is ordered relative to what. The event bus
 * creates topics (and their `.dlq` twins) from this list and decodes with it;
 * nothing relies on broker auto-creation.
 */
export interface EventSpec<Desc extends DescMessage = DescMessage> {
  readonly schema: Desc;
  /** Derives the record key from the event. */
  readonly key: (event: MessageShape<Desc>) => string;
  /**
   * The CloudEvents `source` allowed to publish this type: that of the service
   * whose outbox writes it. Consumers dead-letter a record of this type from
   * any other source before a handler sees it.
   */
  readonly source: string;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /**
   * The one service that produces this topic's events, e.g. `order-service`:
   * its Kafka principal alone may write here (see libs/event-bus applyServiceAcls).
   */
  readonly owner: string;
  readonly events: readonly EventSpec[];
  readonly description: string;
}

type EventOfTopic = Omit<EventSpec, 'source'>;

function event<Desc extends DescMessage>(
  schema: Desc,
  key: (event: MessageShape<Desc>) => string,
): EventOfTopic {
  return { schema, key } as unknown as EventOfTopic;
}

/** A topic's events are all published by its owner: one name gives the ACLs and the sources. */
function topic(spec: Omit<TopicSpec, 'events'> & { events: readonly EventOfTopic[] }): TopicSpec {
  const source = eventSourceOf(spec.owner);
  return { ...spec, events: spec.events.map((e) => ({ ...e, source })) };
}

export const topics = {
  identityUsers: topic({
    name: 'identity.users.v1',
    partitions: 3,
    owner: 'auth-service',
    description: 'Users as they register; keyed by user id.',
    events: [event(UserRegisteredSchema, (e) => e.userId)],
  }),
  catalogProducts: topic({
    name: 'catalog.products.v1',
    partitions: 3,
    owner: 'inventory-service',
    description: 'Product name, price and stock after each admin change; keyed by sku.',
    events: [event(ProductUpsertedSchema, (e) => e.sku)],
  }),
  salesOrders: topic({
    name: 'sales.orders.v1',
    partitions: 6,
    owner: 'order-service',
    description: 'Orders placed and cancelled; keyed by order id.',
    events: [
      event(OrderPlacedSchema, (e) => e.orderId),
      event(OrderCancelledSchema, (e) => e.orderId),
    ],
  }),
  socialPosts: topic({
    name: 'social.posts.v1',
    partitions: 6,
    owner: 'post-service',
    description:
      'Posts and follows, keyed by the author / the followed user, so a follow is always ' +
      'consumed before a later post by the same author.',
    events: [
      event(PostCreatedSchema, (e) => e.authorId),
      event(UserFollowedSchema, (e) => e.followeeId),
      event(UserUnfollowedSchema, (e) => e.followeeId),
    ],
  }),
} as const satisfies Record<string, TopicSpec>;

export const allTopics: readonly TopicSpec[] = Object.values(topics);

/** The dead-letter twin of a topic. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`;
}
