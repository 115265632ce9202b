import type { TopicSpec } from '@switchboard/contracts';
import type { EventRegistry } from '../create-event-registry';
import type { Subscription } from './on';

export interface ResolvedSubscriptions<DB> {
  /** The handler of each subscribed type, by type name. */
  readonly handlers: ReadonlyMap<string, Subscription<DB>>;
  /** The topics those types travel on, each once. */
  readonly specs: readonly TopicSpec[];
}

/** Finds each subscription's topic in the registry; throws for an unknown or repeated type. */
export function resolveSubscriptions<DB>(
  subscriptions: readonly Subscription<DB>[],
  registry: EventRegistry,
  groupId: string,
): ResolvedSubscriptions<DB> {
  if (subscriptions.length === 0) {
    throw new Error(`inbox consumer ${groupId} has no subscriptions`);
  }
  const handlers = new Map<string, Subscription<DB>>();
  const specs = new Map<string, TopicSpec>();
  for (const subscription of subscriptions) {
    const type = subscription.schema.typeName;
    const registered = registry.byType(type);
    if (!registered) {
      throw new Error(`${type} is not in the topic registry, so ${groupId} cannot subscribe to it`);
    }
    if (handlers.has(type)) {
      // Two handlers for one type would make "handled once" ambiguous.
      throw new Error(`${groupId} subscribes to ${type} twice`);
    }
    handlers.set(type, subscription);
    specs.set(registered.topic.name, registered.topic);
  }
  return { handlers, specs: [...specs.values()] };
}
