// First: telemetry hooks the pg driver before any other import loads it.
import { startTelemetry } from '@switchboard/telemetry';
import { PostService } from '@switchboard/contracts';
import { createKafkaProbe, createServiceEventBus } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { createRemoteAuthenticator, startRpcServer } from '@switchboard/rpc';
import { cacheProbes, closeOnSignal, runService } from '@switchboard/service-runtime';
import { createStorage } from '@switchboard/storage';
import { loadPostConfig } from './load-post-config';
import { migrations } from './migrations';
import { createPostModule } from './post-module';
import type { PostDatabase } from './post-schema';

runService(async () => {
  const config = loadPostConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  await startTelemetry({ ...config, logger });
  const storage = await createStorage<PostDatabase>({
    ...config,
    service: config.key,
    migrations,
    logger,
  });
  const bus = createServiceEventBus(config, logger);
  const auth = createRemoteAuthenticator(config);
  const posts = createPostModule({ config, storage, bus, logger });
  await posts.start();
  const server = await startRpcServer({
    ...config,
    logger,
    authenticate: auth.authenticate,
    probes: cacheProbes({ database: () => storage.ping(), kafka: createKafkaProbe(bus) }),
    register: (s) => s.addService(PostService, posts.handlers, { access: posts.access }),
  });
  closeOnSignal({
    logger,
    closables: { 'rpc server': server, posts, 'auth client': auth, 'event bus': bus, storage },
  });
});
