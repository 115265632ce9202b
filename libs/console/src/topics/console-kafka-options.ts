import type { KafkaSecurityConfig } from '@switchboard/config';
import type { EventRegistry } from '@switchboard/event-bus';
import type { Logger } from '@switchboard/logger';

/** What the console's topic and dead-letter views need to reach Kafka: what the events CLI gets. */
export interface ConsoleKafkaOptions {
  /** Bootstrap addresses (KAFKA_BROKERS). */
  readonly brokers: readonly string[];
  /** TLS and SASL from the KAFKA_SSL_* / KAFKA_SASL_* variables (libs/config kafkaSecurityConfig); unset: plaintext. */
  readonly security?: KafkaSecurityConfig;
  /** Decodes records to JSON: createEventRegistry(), the registry `events tail` uses. */
  readonly registry: EventRegistry;
  readonly logger: Logger;
}
