// Test support. Not shipped.
import type { DescMessage, Message } from '@bufbuild/protobuf';
import type {
  BatchHandlerContext,
  BatchItem,
  HandlerContext,
  Subscription,
} from '@switchboard/event-bus';
import type { SubscriptionDatabase } from '../subscription-schema';

/**
 * Wraps the service's subscriptions so that they handle only the events whose
 * ids are in `published`: the run's Kafka broker is shared, and a spec's
 * service must not match other specs' events. Runs still go through the batch
 * handler, as in production.
 */
export function onlyPublished(
  published: ReadonlySet<string>,
): (
  subscriptions: readonly Subscription<SubscriptionDatabase>[],
) => Subscription<SubscriptionDatabase>[] {
  return (subscriptions) =>
    subscriptions.map(({ schema, handle, handleBatch }) => ({
      schema,
      handle: async (message: Message, ctx: HandlerContext<SubscriptionDatabase>) => {
        if (published.has(ctx.event.id)) await handle(message, ctx);
      },
      handleBatch:
        handleBatch &&
        (async (
          items: readonly BatchItem<DescMessage>[],
          ctx: BatchHandlerContext<SubscriptionDatabase>,
        ) => {
          const mine = items.filter((item) => published.has(item.event.id));
          if (mine.length > 0) await handleBatch(mine, ctx);
        }),
    }));
}
