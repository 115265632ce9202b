import { createEventBus, type EventBus } from '@switchboard/event-bus';
import type { ConsoleKafkaOptions } from './console-kafka-options';

/** A bus that only reads, and republishes dead letters; it creates no topics. */
export function createConsoleEventBus(options: ConsoleKafkaOptions): EventBus {
  return createEventBus({
    brokers: options.brokers,
    clientId: 'console',
    logger: options.logger,
    source: '/switchboard/console',
    topics: options.registry.topics,
    security: options.security,
  });
}
