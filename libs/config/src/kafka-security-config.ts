import { readFileSync } from 'node:fs';
import { env, readField, type ConfigField, type ConfigGroup, type Env } from './load-config';

export const KAFKA_SASL_MECHANISMS = ['scram-sha-512', 'scram-sha-256', 'plain'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

export interface KafkaTlsConfig {
  /** PEM of the CA the broker's certificate must chain to; unset: the system CAs. */
  readonly ca?: string;
  /** Where `ca` was read from, for messages. */
  readonly caFile?: string;
  /** PEM client certificate, for brokers that ask for mutual TLS. */
  readonly cert?: string;
  /** PEM private key of `cert`; not enumerable, so it is never logged or serialised. */
  readonly key?: string;
}

export interface KafkaSaslConfig {
  readonly mechanism: KafkaSaslMechanism;
  readonly username: string;
  /** Not enumerable, so logging or serialising the configuration cannot leak it. */
  readonly password: string;
}

/** How a Kafka client proves who it is and checks who the broker is; empty means plaintext. */
export interface KafkaSecurityConfig {
  readonly tls?: KafkaTlsConfig;
  readonly sasl?: KafkaSaslConfig;
}

export interface KafkaSecurityOptions {
  /**
   * A service's env prefix (e.g. `ORDER`): `ORDER_KAFKA_SASL_USERNAME` and
   * `ORDER_KAFKA_SASL_PASSWORD` win over the shared variables, so services
   * started from one environment (npm start) can each log in as themselves.
   */
  readonly prefix?: string;
}

const pemFile = (name: string, marker: RegExp, what: string): ConfigField<string | undefined> => ({
  env: name,
  parse(raw) {
    if (raw === undefined) return undefined;
    let text: string;
    try {
      text = readFileSync(raw, 'utf8');
    } catch (err) {
      throw new Error(`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    if (!marker.test(text)) throw new Error(`is not a PEM ${what} file`);
    return text;
  },
});

/**
 * The Kafka client security settings, read once with the rest of the
 * configuration:
 *
 * - `KAFKA_SSL_CA_FILE`: TLS on, the broker verified against this CA (PEM);
 * - `KAFKA_SSL=true`: TLS on, verified against the system CAs;
 * - `KAFKA_SSL_CERT_FILE` + `KAFKA_SSL_KEY_FILE`: a client certificate (mutual TLS);
 * - `KAFKA_SASL_MECHANISM` (`scram-sha-512`, `scram-sha-256`, `plain`) with
 *   `KAFKA_SASL_USERNAME` and `KAFKA_SASL_PASSWORD`.
 *
 * None set means plaintext, as before. Combinations that cannot work fail
 * at start, naming the variable.
 */
export function kafkaSecurityConfig(
  options: KafkaSecurityOptions = {},
): ConfigGroup<KafkaSecurityConfig> {
  return {
    group: true,
    read(source: Env, problems: string[]): KafkaSecurityConfig {
      const local: string[] = [];
      const pick = (name: string) =>
        options.prefix && source[`${options.prefix}_${name}`] ? `${options.prefix}_${name}` : name;
      const usernameVar = pick('KAFKA_SASL_USERNAME');
      const passwordVar = pick('KAFKA_SASL_PASSWORD');

      const ssl = readField(env.flag('KAFKA_SSL', { default: false }), source, local);
      const sslSet = source.KAFKA_SSL !== undefined && source.KAFKA_SSL !== '';
      const ca = readField(
        pemFile('KAFKA_SSL_CA_FILE', /-----BEGIN CERTIFICATE-----/, 'certificate'),
        source,
        local,
      );
      const cert = readField(
        pemFile('KAFKA_SSL_CERT_FILE', /-----BEGIN CERTIFICATE-----/, 'certificate'),
        source,
        local,
      );
      const key = readField(
        env.secret(
          pemFile('KAFKA_SSL_KEY_FILE', /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key'),
        ),
        source,
        local,
      );
      const mechanism = readField(
        {
          env: 'KAFKA_SASL_MECHANISM',
          parse: (raw) => {
            if (raw === undefined) return undefined;
            const value = raw.trim().toLowerCase();
            if (!(KAFKA_SASL_MECHANISMS as readonly string[]).includes(value)) {
              throw new Error(`must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}`);
            }
            return value as KafkaSaslMechanism;
          },
        } satisfies ConfigField<KafkaSaslMechanism | undefined>,
        source,
        local,
      );
      const username = readField(env.optionalString(usernameVar), source, local);
      const password = readField(env.secret(env.optionalString(passwordVar)), source, local);

      const caFile = source.KAFKA_SSL_CA_FILE || undefined;
      const certFile = source.KAFKA_SSL_CERT_FILE || undefined;
      const keyFile = source.KAFKA_SSL_KEY_FILE || undefined;
      const tlsWanted = ssl === true || caFile !== undefined || certFile !== undefined;
      if (sslSet && ssl === false && (caFile || certFile || keyFile)) {
        local.push(
          'KAFKA_SSL: is false, but KAFKA_SSL_CA_FILE / KAFKA_SSL_CERT_FILE need TLS (unset it or set true)',
        );
      }
      if ((certFile === undefined) !== (keyFile === undefined)) {
        local.push(
          certFile
            ? 'KAFKA_SSL_KEY_FILE: is required when KAFKA_SSL_CERT_FILE is set'
            : 'KAFKA_SSL_CERT_FILE: is required when KAFKA_SSL_KEY_FILE is set',
        );
      }
      if (source.KAFKA_SASL_MECHANISM) {
        if (username === undefined) {
          local.push(`${usernameVar}: is required when KAFKA_SASL_MECHANISM is set (unset)`);
        }
        if (password === undefined) {
          local.push(`${passwordVar}: is required when KAFKA_SASL_MECHANISM is set (unset)`);
        }
        if (mechanism === 'plain' && !tlsWanted) {
          // SCRAM never sends the password itself; PLAIN does, so never without TLS.
          local.push(
            'KAFKA_SASL_MECHANISM: plain sends the password in clear text; it needs TLS ' +
              '(KAFKA_SSL_CA_FILE or KAFKA_SSL=true)',
          );
        }
      } else if (username !== undefined || password !== undefined) {
        local.push(
          `KAFKA_SASL_MECHANISM: is required when ${username !== undefined ? usernameVar : passwordVar} is set (unset)`,
        );
      }

      problems.push(...local);
      if (local.length > 0) return Object.freeze({});

      const tls: KafkaTlsConfig | undefined = tlsWanted
        ? hide({ ...(ca ? { ca, caFile } : {}), ...(cert ? { cert } : {}) }, 'key', key)
        : undefined;
      const sasl: KafkaSaslConfig | undefined =
        mechanism && username !== undefined && password !== undefined
          ? hide({ mechanism, username }, 'password', password)
          : undefined;
      return Object.freeze({ ...(tls ? { tls } : {}), ...(sasl ? { sasl } : {}) });
    },
  };
}

/** Adds a frozen, non-enumerable property: present for the client, absent from logs and JSON. */
function hide<T extends object, K extends string>(
  target: T,
  name: K,
  value: string | undefined,
): T & Record<K, string> {
  if (value !== undefined) {
    Object.defineProperty(target, name, { value, enumerable: false, writable: false });
  }
  return Object.freeze(target) as T & Record<K, string>;
}
