import { serviceNames } from '@switchboard/contracts';
import { grpcLimitsSchema } from './grpc-limits-schema';
import { grpcTargetOf } from './grpc-target-of';
import { kafkaSecurityConfig } from './kafka-security-config';
import {
  env,
  loadConfig,
  type ConfigField,
  type ConfigOf,
  type ConfigSchema,
  type Env,
} from './load-config';
import { tlsSchema } from './tls-schema';

/** The seven services, their well-known ports and env prefixes. */
export const services = {
  auth: { name: serviceNames.auth, port: 50051, metricsPort: 9461 },
  inventory: { name: serviceNames.inventory, port: 50052, metricsPort: 9462 },
  order: { name: serviceNames.order, port: 50053, metricsPort: 9463 },
  post: { name: serviceNames.post, port: 50054, metricsPort: 9464 },
  notification: { name: serviceNames.notification, port: 50055, metricsPort: 9465 },
  reporting: { name: serviceNames.reporting, port: 50056, metricsPort: 9466 },
  subscription: { name: serviceNames.subscription, port: 50057, metricsPort: 9469 },
} as const;

export type ServiceKey = keyof typeof services;

/** The server `npm start` runs (tools/postgres/local-postgres.mjs); development only. */
export const LOCAL_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * `<SERVICE>_ADDR`, the address a client dials, defaulting to the local
 * well-known port: one host:port (or dns:///name:port), or a comma-separated
 * list of ip:port replicas. A list grpc-js could not balance over is refused
 * here, at start, rather than at the first call.
 */
export function serviceAddress(key: ServiceKey): ConfigField<string> {
  const field = env.string(`${key.toUpperCase()}_ADDR`, {
    default: `127.0.0.1:${services[key].port}`,
  });
  return {
    ...field,
    parse(raw, context) {
      const value = field.parse(raw, context);
      grpcTargetOf(value);
      return value;
    },
  };
}

/**
 * `<SERVICE>_SERVICE_SECRET`: the credential a service exchanges with auth
 * for its service token (IssueServiceToken). Auth reads every other
 * service's, to check them; each service reads its own.
 */
export function serviceSecret(key: ServiceKey): ConfigField<string> {
  return env.credential(`${key.toUpperCase()}_SERVICE_SECRET`, {
    developmentDefault: `dev-${services[key].name}-secret`,
    minLength: 16,
  });
}

/** Auth issues service tokens and so needs no credential of its own. */
const noServiceSecret: ConfigField<string | undefined> = {
  env: 'AUTH_SERVICE_SECRET',
  parse: () => undefined,
};

/** What every service reads; a service adds its own fields through `extra`. */
function commonSchema(key: ServiceKey, source: Env) {
  const prefix = key.toUpperCase();
  return {
    /** SWITCHBOARD_ENV=development, read by loadConfig for every field; kept for the service's own checks. */
    development: {
      env: 'SWITCHBOARD_ENV',
      parse: (_raw, context) => context.development,
    } satisfies ConfigField<boolean>,
    serviceSecret:
      key === 'auth' ? noServiceSecret : (serviceSecret(key) as ConfigField<string | undefined>),
    host: env.string(`${prefix}_HOST`, { default: 'localhost' }),
    port: env.port(`${prefix}_PORT`, services[key].port),
    /** Prometheus text on http://127.0.0.1:<port>/metrics; 0 picks a free port (tests). */
    metricsPort: env.int(`${prefix}_METRICS_PORT`, {
      default: services[key].metricsPort,
      min: 0,
      max: 65535,
    }),
    logLevel: env.oneOf('LOG_LEVEL', LOG_LEVELS, { default: 'info' }),
    kafkaBrokers: env.list('KAFKA_BROKERS', { default: ['127.0.0.1:9092'] }),
    /** TLS and SASL for Kafka (KAFKA_SSL_*, KAFKA_SASL_*); empty: plaintext. */
    kafkaSecurity: kafkaSecurityConfig({ prefix }),
    /** A per-service URL wins over the shared server URL, on which the service gets switchboard_<key>. */
    serviceDatabaseUrl: env.optionalPostgresUrl(`${prefix}_DATABASE_URL`),
    databaseUrl: env.postgresUrl('DATABASE_URL', {
      developmentDefault: LOCAL_DATABASE_URL,
      unlessSet: `${prefix}_DATABASE_URL`,
      source,
    }),
    authAddr: serviceAddress('auth'),
    /**
     * How long a token auth accepted is trusted without asking again. It
     * saves a VerifyToken round trip on most calls of a busy client; a token
     * revoked meanwhile is refused everywhere once this has passed.
     */
    verifyCacheMs: env.int('AUTH_VERIFY_CACHE_MS', { default: 1_000, min: 0, max: 60_000 }),
    /** How long shutdown waits for in-flight calls before cancelling them. */
    shutdownGraceMs: env.int('SHUTDOWN_GRACE_MS', { default: 10_000, min: 0, max: 120_000 }),
    /** Larger requests get RESOURCE_EXHAUSTED before any handler runs. */
    maxReceiveBytes: env.int('GRPC_MAX_RECEIVE_BYTES', {
      default: 4 * 1024 * 1024,
      min: 1024,
      max: 64 * 1024 * 1024,
    }),
    /** gRPC over TLS (TLS_* files) on every server and client, and the server's connection limits. */
    ...tlsSchema(source),
    ...grpcLimitsSchema(),
  };
}

export type ServiceConfig<Extra extends ConfigSchema = Record<string, never>> = ConfigOf<
  ReturnType<typeof commonSchema> & Extra
> & { readonly service: string; readonly key: ServiceKey };

export function loadServiceConfig<Extra extends ConfigSchema = Record<string, never>>(
  key: ServiceKey,
  extra?: Extra,
  source: Env = process.env,
): ServiceConfig<Extra> {
  const name = services[key].name;
  const values = loadConfig(name, { ...commonSchema(key, source), ...(extra ?? {}) }, source);
  return Object.freeze({ ...values, service: name, key }) as ServiceConfig<Extra>;
}
