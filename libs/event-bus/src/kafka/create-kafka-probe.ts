import type { EventBus } from '../event-bus';

/**
 * The health probe for Kafka. Until the registry's topics exist, it creates
 * them (services never rely on auto-creation); after that it is a cheap ping.
 * A service that starts before the broker therefore reports NOT_SERVING and
 * becomes SERVING by itself once the broker answers.
 */
export function createKafkaProbe(bus: EventBus): () => Promise<void> {
  let topicsReady = false;
  return async () => {
    if (!topicsReady) {
      await bus.ensureTopics();
      topicsReady = true;
      return;
    }
    await bus.ping();
  };
}
