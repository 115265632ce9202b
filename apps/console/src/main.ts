// First, as in the services: telemetry's driver hooks go in before any other import.
import { startTelemetry } from '@switchboard/telemetry';
import { resolve } from 'node:path';
import { createConsoleServer } from '@switchboard/console';
import { createLogger } from '@switchboard/logger';
import { closeOnSignal, runService } from '@switchboard/service-runtime';
import { loadConsoleConfig } from './load-console-config';
import { ownReceiverUrl, ownTelemetryEnv } from './own-telemetry-env';
import { startConsoleParts } from './start-console-parts';

runService(async () => {
  const config = loadConsoleConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const parts = await startConsoleParts(config, logger);
  const server = await createConsoleServer({
    host: config.host,
    port: config.port,
    methods: parts.methods,
    otlp: parts.otlp,
    // The bundle is dist/apps/console/main.cjs; the UI build writes dist/apps/console/ui.
    uiDir: config.uiDir ?? resolve(__dirname, 'ui'),
    authenticate: parts.authenticate,
    logger,
    maxRequestBytes: config.maxRequestBytes,
    shutdownGraceMs: config.shutdownGraceMs,
  });
  // After listening: with CONSOLE_PORT=0 only now is the receiver's address known.
  Object.assign(
    process.env,
    ownTelemetryEnv(process.env, ownReceiverUrl(config.host, server.port)),
  );
  await startTelemetry({ service: config.service, metricsPort: config.metricsPort, logger });
  logger.info({ url: server.url }, 'console listening');
  // The server first: its open streams end before the parts they read from close.
  closeOnSignal({ logger, closables: { 'console server': server, ...parts.closables } });
});
