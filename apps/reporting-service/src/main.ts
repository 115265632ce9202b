// First: telemetry hooks the pg driver before any other import loads it.
import { startTelemetry } from '@switchboard/telemetry';
import { ReportingService } from '@switchboard/contracts';
import { createKafkaProbe, createServiceEventBus } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { createRemoteAuthenticator, startRpcServer } from '@switchboard/rpc';
import { cacheProbes, closeOnSignal, runService } from '@switchboard/service-runtime';
import { createStorage } from '@switchboard/storage';
import { loadReportingConfig } from './load-reporting-config';
import { migrations } from './migrations';
import { createReportingModule } from './reporting-module';
import type { ReportingDatabase } from './reporting-schema';

runService(async () => {
  const config = loadReportingConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  await startTelemetry({ ...config, logger });
  const storage = await createStorage<ReportingDatabase>({
    ...config,
    service: config.key,
    migrations,
    logger,
  });
  const bus = createServiceEventBus(config, logger);
  const auth = createRemoteAuthenticator(config);
  const reporting = createReportingModule({ config, storage, bus, logger });
  await reporting.start();
  const server = await startRpcServer({
    ...config,
    logger,
    authenticate: auth.authenticate,
    probes: cacheProbes({ database: () => storage.ping(), kafka: createKafkaProbe(bus) }),
    register: (s) =>
      s.addService(ReportingService, reporting.handlers, { access: reporting.access }),
  });
  closeOnSignal({
    logger,
    closables: { 'rpc server': server, reporting, 'auth client': auth, 'event bus': bus, storage },
  });
});
