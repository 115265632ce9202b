import { DEFAULT_MAX_REQUEST_BYTES, isLoopbackHost, maskDatabaseUrl } from '@switchboard/console';
import {
  env,
  kafkaSecurityConfig,
  LOCAL_DATABASE_URL,
  loadConfig,
  readField,
  serviceAddress,
  tlsSchema,
  type ConfigField,
  type ConfigGroup,
  type Env,
} from '@switchboard/config';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * CONSOLE_HOST, loopback unless the operator says otherwise twice: a
 * non-loopback host also needs CONSOLE_ALLOW_REMOTE=true. Whoever reaches
 * the console reads every trace, log line and event it holds, and can call
 * any service through the explorer with a token they have; so binding it
 * elsewhere must never happen by a stray HOST-like variable alone.
 */
const listenHost: ConfigGroup<string> = {
  group: true,
  read(source, problems, context) {
    const host = readField(
      env.string('CONSOLE_HOST', { default: '127.0.0.1' }),
      source,
      problems,
      context,
    );
    const allowRemote = readField(
      env.flag('CONSOLE_ALLOW_REMOTE', { default: false }),
      source,
      problems,
      context,
    );
    if (host !== undefined && allowRemote === false && !isLoopbackHost(host)) {
      problems.push(
        `CONSOLE_HOST: ${JSON.stringify(host)} is not a loopback address, and the console ` +
          'shows its telemetry, topics and explorer to whoever reaches it; set ' +
          'CONSOLE_ALLOW_REMOTE=true as well to bind it there (see the README)',
      );
    }
    return host ?? '127.0.0.1';
  },
};

/** EDGE_URL when set, else the edge on this machine at EDGE_PORT (8080), as `npm start` runs it. */
const edgeUrl: ConfigGroup<string> = {
  group: true,
  read(source, problems, context) {
    const url = readField(
      {
        env: 'EDGE_URL',
        parse(raw) {
          if (raw === undefined) return undefined;
          let parsed: URL;
          try {
            parsed = new URL(raw);
          } catch {
            throw new Error('must be a URL like http://127.0.0.1:8080');
          }
          if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
            throw new Error('must start with http:// or https://');
          }
          return raw.replace(/\/+$/, '');
        },
      } satisfies ConfigField<string | undefined>,
      source,
      problems,
      context,
    );
    const port = readField(env.port('EDGE_PORT', 8080), source, problems, context);
    return url ?? `http://127.0.0.1:${port ?? 8080}`;
  },
};

/**
 * DATABASE_URL, shown on the system map only (the console never connects to
 * it), and read masked. Unset: the local server in development, nothing
 * elsewhere.
 */
const databaseUrl: ConfigField<string | undefined> = {
  env: 'DATABASE_URL',
  secret: true,
  parse(raw, context) {
    const url = raw ?? (context.development ? LOCAL_DATABASE_URL : undefined);
    if (url === undefined) return undefined;
    const checked = env.optionalPostgresUrl('DATABASE_URL').parse(url, context);
    return checked === undefined ? undefined : maskDatabaseUrl(checked);
  },
};

function consoleSchema(source: Env) {
  return {
    host: listenHost,
    /** 0 picks a free port (tests). */
    port: env.int('CONSOLE_PORT', { default: 8088, min: 0, max: 65535 }),
    /** Prometheus text for the console itself, next to the services' 9461–9467; 0 picks a free port. */
    metricsPort: env.int('CONSOLE_METRICS_PORT', { default: 9468, min: 0, max: 65535 }),
    logLevel: env.oneOf('LOG_LEVEL', LOG_LEVELS, { default: 'info' }),
    /** The seven services, at the same variables and defaults the edge and the services use. */
    authAddr: serviceAddress('auth'),
    inventoryAddr: serviceAddress('inventory'),
    orderAddr: serviceAddress('order'),
    postAddr: serviceAddress('post'),
    notificationAddr: serviceAddress('notification'),
    reportingAddr: serviceAddress('reporting'),
    subscriptionAddr: serviceAddress('subscription'),
    edgeUrl,
    /** The broker, as the events CLI reads it: KAFKA_BROKERS and the unprefixed KAFKA_SSL_* / KAFKA_SASL_*. */
    kafkaBrokers: env.list('KAFKA_BROKERS', { default: ['127.0.0.1:9092'] }),
    kafkaSecurity: kafkaSecurityConfig(),
    /** Masked; for the system map's database node. */
    databaseUrl,
    /** The telemetry store's bounds: past any of them the oldest go first, and are counted. */
    maxSpans: env.int('CONSOLE_MAX_SPANS', { default: 50_000, min: 100, max: 10_000_000 }),
    maxLogRecords: env.int('CONSOLE_MAX_LOG_RECORDS', {
      default: 50_000,
      min: 100,
      max: 10_000_000,
    }),
    maxMetricPoints: env.int('CONSOLE_MAX_METRIC_POINTS', {
      default: 100_000,
      min: 100,
      max: 10_000_000,
    }),
    /** What the three signals may hold together, as their decoded size. */
    maxTelemetryBytes: env.int('CONSOLE_MAX_TELEMETRY_BYTES', {
      default: 128 * 1024 * 1024,
      min: 1024 * 1024,
      max: 4 * 1024 * 1024 * 1024,
    }),
    /** Larger OTLP request bodies get 413 before they are decoded. */
    maxOtlpBodyBytes: env.int('CONSOLE_MAX_OTLP_BODY_BYTES', {
      default: 4 * 1024 * 1024,
      min: 1024,
      max: 64 * 1024 * 1024,
    }),
    /** Larger ConsoleService requests get RESOURCE_EXHAUSTED; Invoke's JSON may be 1 MiB, escaped again. */
    maxRequestBytes: env.int('CONSOLE_MAX_REQUEST_BYTES', {
      default: DEFAULT_MAX_REQUEST_BYTES,
      min: 1024,
      max: 64 * 1024 * 1024,
    }),
    /** The deadline of a unary call the explorer makes, and of one service's reflection. */
    callTimeoutMs: env.int('CONSOLE_CALL_TIMEOUT_MS', {
      default: 10_000,
      min: 100,
      max: 10 * 60_000,
    }),
    /** How often the system map's rates are recomputed and sent. */
    refreshMs: env.int('CONSOLE_REFRESH_MS', { default: 2_000, min: 250, max: 60_000 }),
    /** The built browser app; by default `ui/` beside the bundle. */
    uiDir: env.optionalString('CONSOLE_UI_DIR'),
    /** How long open streams get to end on shutdown. */
    shutdownGraceMs: env.int('SHUTDOWN_GRACE_MS', { default: 2_000, min: 0, max: 120_000 }),
    /** TLS_* as the services read them: the console dials the services over TLS when set. */
    ...tlsSchema(source),
  };
}

/** Read once at start; fails naming every bad variable. */
export function loadConsoleConfig(source: Env = process.env) {
  return Object.freeze({
    ...loadConfig('console', consoleSchema(source), source),
    service: 'console',
  });
}

export type ConsoleConfig = ReturnType<typeof loadConsoleConfig>;
