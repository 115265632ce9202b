import { createLogger } from '@switchboard/logger';
import { closeOnSignal, runService } from '@switchboard/service-runtime';
import { loadEdgeConfig } from './load-edge-config';
import { startEdgeGateway } from './start-edge-gateway';

runService(async () => {
  const config = loadEdgeConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const gateway = await startEdgeGateway(config, logger);
  logger.info({ url: gateway.server.url }, 'edge gateway listening');
  closeOnSignal({ logger, closables: { 'edge gateway': gateway } });
});
