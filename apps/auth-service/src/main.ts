// First: telemetry hooks the pg driver before any other import loads it.
import { startTelemetry } from '@switchboard/telemetry';
import { AuthService } from '@switchboard/contracts';
import { createKafkaProbe, createServiceEventBus } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { startRpcServer } from '@switchboard/rpc';
import { cacheProbes, closeOnSignal, runService } from '@switchboard/service-runtime';
import { createStorage } from '@switchboard/storage';
import { createAuthModule } from './auth-module';
import type { AuthDatabase } from './auth-schema';
import { loadAuthConfig } from './load-auth-config';
import { migrations } from './migrations';

runService(async () => {
  const config = loadAuthConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  await startTelemetry({ ...config, logger });
  const storage = await createStorage<AuthDatabase>({
    ...config,
    service: config.key,
    migrations,
    logger,
  });
  const bus = createServiceEventBus(config, logger);
  const auth = await createAuthModule({ config, storage, bus, logger });
  await auth.start();
  const server = await startRpcServer({
    ...config,
    logger,
    // Auth checks tokens itself: calling its own VerifyToken would be a loop.
    authenticate: auth.authenticate,
    probes: cacheProbes({ database: () => storage.ping(), kafka: createKafkaProbe(bus) }),
    register: (s) => s.addService(AuthService, auth.handlers, { access: auth.access }),
  });
  closeOnSignal({ logger, closables: { 'rpc server': server, auth, 'event bus': bus, storage } });
});
