import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { KafkaSecurityConfig } from '@switchboard/config';

/** The part of a kafkajs client configuration that decides TLS and authentication. */
export type KafkaClientSecurity = Pick<KafkaConfig, 'ssl' | 'sasl'>;

/**
 * The one place where the project's Kafka security settings become kafkajs
 * options; every client (services, the events CLI, the ACL tool) goes through
 * it, so they cannot disagree about how a CA or a mechanism is applied.
 * An empty config gives an empty object: plaintext, as before.
 */
export function createKafkaSecurity(config: KafkaSecurityConfig = {}): KafkaClientSecurity {
  const out: { ssl?: ConnectionOptions; sasl?: SASLOptions } = {};
  if (config.tls) {
    const { ca, cert, key } = config.tls;
    out.ssl = {
      // Never downgraded: a broker whose certificate does not verify is refused.
      rejectUnauthorized: true,
      // A CA given replaces the system CAs: only brokers it signed are trusted.
      ...(ca !== undefined ? { ca: [ca] } : {}),
      ...(cert !== undefined && key !== undefined ? { cert, key } : {}),
    };
  }
  if (config.sasl) {
    const { mechanism, username, password } = config.sasl;
    out.sasl = { mechanism, username, password } as SASLOptions;
  }
  return out;
}
