import type { KafkaSecurityConfig } from '@switchboard/config';
import type { Logger } from '@switchboard/logger';
import type { EventBus, EventBusOptions } from '../event-bus';
import { createEventBus } from './create-event-bus';
import { eventSourceOf } from '../event-source-of';

/** The part of a service's configuration its event bus is made from. */
export interface ServiceEventBusConfig {
  readonly service: string;
  readonly kafkaBrokers: readonly string[];
  /** TLS and SASL; the service logs in as its own principal (see applyServiceAcls). */
  readonly kafkaSecurity?: KafkaSecurityConfig;
}

/** What a service may still choose; identity and brokers come from its config. */
export type ServiceEventBusOptions = Omit<
  EventBusOptions,
  'brokers' | 'clientId' | 'source' | 'logger' | 'security'
>;

/**
 * A service's event bus: the Kafka client id is the service name (so broker
 * logs and quotas name the service) and every event it publishes carries the
 * service's CloudEvents source.
 */
export function createServiceEventBus(
  config: ServiceEventBusConfig,
  logger: Logger,
  options: ServiceEventBusOptions = {},
): EventBus {
  return createEventBus({
    ...options,
    brokers: config.kafkaBrokers,
    clientId: config.service,
    security: config.kafkaSecurity,
    source: eventSourceOf(config.service),
    logger,
  });
}
