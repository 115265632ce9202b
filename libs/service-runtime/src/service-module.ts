import type { DescService } from '@bufbuild/protobuf';
import type { EventBus } from '@switchboard/event-bus';
import type { Logger } from '@switchboard/logger';
import type { AccessPolicy, Authenticate, ServiceImpl } from '@switchboard/rpc';
import type { Storage } from '@switchboard/storage';

/** What startStandardService gives every module: the shared resources it owns and closes. */
export interface ServiceModuleOptions<Config, DB> {
  config: Config;
  storage: Storage<DB>;
  bus: EventBus;
  logger: Logger;
}

/**
 * What a service's `<service>-module.ts` hands startStandardService: the gRPC
 * service to register and the background work (relays, consumers, timers)
 * around it. startStandardService owns the shared resources (storage, bus,
 * server) and their order; the module owns only what it built.
 */
export interface ServiceModule<Desc extends DescService> {
  readonly handlers: ServiceImpl<Desc>;
  readonly access: AccessPolicy<Desc>;
  /** Set by a service that checks tokens itself (auth) instead of calling auth. */
  readonly authenticate?: Authenticate;
  /**
   * Health probes of the module's own dependencies (a work queue, say), next
   * to the database and Kafka probes every service has: while one fails the
   * service reports NOT_SERVING. A name may not repeat a standard one.
   */
  readonly probes?: Readonly<Record<string, () => Promise<void>>>;
  /** Everything that must run before the server serves: seeds, topics, workers. */
  start(): Promise<void>;
  /**
   * Stops the workers, finishing work in hand; called after the rpc
   * server drained and before the bus and storage close.
   */
  close(): Promise<void>;
}
