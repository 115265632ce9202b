// First, as in the services: telemetry's driver hooks go in before any other import.
import { startTelemetry } from '@switchboard/telemetry';
import { createLogger } from '@switchboard/logger';
import { closeOnSignal, runService } from '@switchboard/service-runtime';
import { loadEdgeConfig } from './load-edge-config';
import { startEdgeGateway } from './start-edge-gateway';

runService(async () => {
  const config = loadEdgeConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  // Before the gateway: its request spans and duration histogram come from what this registers.
  await startTelemetry({ service: config.service, metricsPort: config.metricsPort, logger });
  const gateway = await startEdgeGateway(config, logger);
  logger.info({ url: gateway.server.url }, 'edge gateway listening');
  // closeOnSignal flushes telemetry last, after the gateway's final spans.
  closeOnSignal({ logger, closables: { 'edge gateway': gateway } });
});
