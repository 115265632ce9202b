import type { DescService } from '@bufbuild/protobuf';
import type { ServiceConfig } from '@switchboard/config';
import { createLogger } from '@switchboard/logger';
import { startTelemetry } from '@switchboard/telemetry';
import { closeOnSignal } from './close-on-signal';
import { runService } from './run-service';
import type { ServiceModule } from './service-module';
import type { StandardService } from './standard-service';

/**
 * A standard service's whole main: config from the environment, logger,
 * telemetry, the service started (see startStandardService), and closing in
 * order on SIGINT/SIGTERM. Start-up failures exit 1 with one readable message.
 */
export function runStandardService<
  Desc extends DescService,
  Config extends ServiceConfig,
  DB,
  Module extends ServiceModule<Desc>,
  Overrides = never,
>(service: StandardService<Desc, Config, DB, Module, Overrides>): void {
  runService(async () => {
    const config = service.loadConfig();
    const logger = createLogger({ service: config.service, level: config.logLevel });
    await startTelemetry({ ...config, logger });
    const running = await service.start({ config, logger });
    // closeOnSignal flushes telemetry last, after the service's final spans.
    closeOnSignal({ logger, closables: running.closables });
  });
}
