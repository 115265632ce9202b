import type { DescService } from '@bufbuild/protobuf';
import type { ServiceConfig } from '@switchboard/config';
import { createKafkaProbe, createServiceEventBus } from '@switchboard/event-bus';
import { createRemoteAuthenticator, startRpcServer } from '@switchboard/rpc';
import { createStorage } from '@switchboard/storage';
import { cacheProbes } from './cache-probes';
import type { CloseTarget } from './close-on-signal';
import type { ServiceModule } from './service-module';
import { serviceProbes } from './service-probes';
import type {
  RunningStandardService,
  StandardServiceSpec,
  StartStandardServiceOptions,
} from './standard-service';

/**
 * Storage, bus, auth channel, module and rpc server, started in that order
 * and closed in reverse: the server drains first, so no handler is left
 * writing to a bus or database that is already closed. If a step fails, what
 * was started is closed again before the error is rethrown.
 */
export async function startStandardService<
  Desc extends DescService,
  Config extends ServiceConfig,
  DB,
  Module extends ServiceModule<Desc>,
  Overrides = never,
>(
  spec: StandardServiceSpec<Desc, Config, DB, Module, Overrides>,
  options: StartStandardServiceOptions<Config, Overrides>,
): Promise<RunningStandardService<Config, DB, Module>> {
  const { config, logger } = options;
  const started: [string, CloseTarget][] = [];
  const closeStarted = () => closeInOrder(Object.fromEntries([...started].reverse()));
  try {
    const storage = await createStorage<DB>({
      ...config,
      service: config.key,
      migrations: spec.migrations,
      logger,
      poolSize: options.poolSize,
    });
    started.push(['storage', storage]);
    const bus = createServiceEventBus(config, logger);
    started.push(['event bus', bus]);
    const auth =
      spec.createAuthenticator === false
        ? undefined
        : (spec.createAuthenticator ?? createRemoteAuthenticator)(config);
    if (auth) started.push(['auth client', auth]);
    const module = await spec.createModule({
      config,
      storage,
      bus,
      logger,
      auth,
      overrides: options.overrides,
    });
    started.push([spec.moduleName, module]);
    await module.start();
    const authenticate = options.authenticate ?? module.authenticate ?? auth?.authenticate;
    const server = await startRpcServer({
      ...config,
      host: options.host ?? config.host,
      port: options.port ?? config.port,
      logger,
      authenticate,
      probes: cacheProbes(
        serviceProbes({ database: () => storage.ping(), kafka: createKafkaProbe(bus) }, module),
      ),
      register: (s) => s.addService(spec.service, module.handlers, { access: module.access }),
    });
    const closables = {
      ...spec.closeBeforeServer?.(module),
      'rpc server': server,
      ...Object.fromEntries([...started].reverse()),
    };
    return {
      config,
      port: server.port,
      storage,
      bus,
      module,
      auth,
      closables,
      close: () => closeInOrder(closables),
    };
  } catch (err) {
    await closeStarted().catch(() => undefined);
    throw err;
  }
}

async function closeInOrder(closables: Readonly<Record<string, CloseTarget>>): Promise<void> {
  let failure: unknown;
  for (const target of Object.values(closables)) {
    try {
      await target.close();
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== undefined) throw failure;
}
