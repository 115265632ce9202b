import {
  createAuthAuthenticator,
  createDeadLetterMethods,
  createExplorerMethods,
  createSystemMapMethods,
  createTelemetryStore,
  createTopicMethods,
  createTraceMethods,
  type ConsoleAuthenticate,
  type ConsoleMethods,
  type OtlpHandler,
} from '@switchboard/console';
import { AuthService } from '@switchboard/contracts';
import { createEventRegistry } from '@switchboard/event-bus';
import type { Logger } from '@switchboard/logger';
import { createOtlpHttpHandler } from '@switchboard/otlp-receiver';
import { clientTlsOf, createGrpcJsTransport, createServiceClient } from '@switchboard/rpc';
import type { CloseTarget } from '@switchboard/service-runtime';
import { systemClock } from '@switchboard/timing';
import { consoleTargetsOf } from './console-targets-of';
import type { ConsoleConfig } from './load-console-config';

/** The console's backend, before the server that serves it. */
export interface ConsoleParts {
  methods: ConsoleMethods[];
  otlp: OtlpHandler;
  authenticate: ConsoleAuthenticate;
  /** Closed after the server, in this order. */
  closables: Record<string, CloseTarget>;
}

/**
 * Builds each part of ConsoleService from the config: the telemetry store
 * and the OTLP receiver that fills it, the system map and the trace views
 * over it, topics and dead letters on the broker, and the API explorer; and
 * the admin-token check against the auth service.
 */
export async function startConsoleParts(
  config: ConsoleConfig,
  logger: Logger,
): Promise<ConsoleParts> {
  const store = createTelemetryStore({
    maxSpans: config.maxSpans,
    maxMetricPoints: config.maxMetricPoints,
    maxLogRecords: config.maxLogRecords,
    maxBytes: config.maxTelemetryBytes,
  });
  const otlp = createOtlpHttpHandler(store, {
    maxBodyBytes: config.maxOtlpBodyBytes,
    onError: (err) => logger.error({ err }, 'OTLP request failed'),
  });
  const targets = consoleTargetsOf(config);
  const systemMap = createSystemMapMethods({
    store,
    targets,
    kafkaBrokers: config.kafkaBrokers,
    databaseUrl: config.databaseUrl,
    clock: systemClock,
    refreshMs: config.refreshMs,
    tls: clientTlsOf(config),
  });
  const kafka = {
    brokers: config.kafkaBrokers,
    security: config.kafkaSecurity,
    registry: createEventRegistry(),
    logger,
  };
  const topics = createTopicMethods(kafka);
  const deadLetters = createDeadLetterMethods(kafka);
  const explorer = createExplorerMethods({
    targets,
    callTimeoutMs: config.callTimeoutMs,
  });
  const authTransport = createGrpcJsTransport({
    address: config.authAddr,
    tls: clientTlsOf(config),
  });
  const authenticate = createAuthAuthenticator({
    authClient: createServiceClient(AuthService, authTransport),
  });
  return {
    methods: [systemMap, createTraceMethods({ store }), topics, deadLetters, explorer],
    otlp,
    authenticate,
    closables: {
      'topic views': topics,
      'dead-letter views': deadLetters,
      explorer: { close: async () => explorer.close() },
      'auth channel': { close: async () => authTransport.close() },
    },
  };
}
