import type { DescService } from '@bufbuild/protobuf';
import type { Env, ServiceConfig } from '@switchboard/config';
import type { EventBus } from '@switchboard/event-bus';
import type { Logger } from '@switchboard/logger';
import type { Authenticate, RemoteAuthenticator } from '@switchboard/rpc';
import type { Migration, Storage } from '@switchboard/storage';
import type { CloseTarget } from './close-on-signal';
import type { ServiceModule, ServiceModuleOptions } from './service-module';

/** What a standard service's module factory gets: the shared resources, and its way to auth. */
export interface StandardModuleOptions<Config, DB, Overrides = never> extends ServiceModuleOptions<
  Config,
  DB
> {
  /** The channel to auth (token checks, own identity); undefined for auth itself. */
  auth: RemoteAuthenticator | undefined;
  /** A test's own budgets or consumer group; never set by main.ts. */
  overrides?: Overrides;
}

/**
 * What differs between the standard services: their contract, config,
 * migrations and module. Everything else (storage, bus, auth client, rpc
 * server, health probes, closing order) is the same for all of them and lives
 * in startStandardService.
 */
export interface StandardServiceSpec<
  Desc extends DescService,
  Config extends ServiceConfig,
  DB,
  Module extends ServiceModule<Desc>,
  Overrides = never,
> {
  readonly service: Desc;
  /** The module's step in the shutdown log, e.g. 'orders'. */
  readonly moduleName: string;
  loadConfig(source?: Env): Config;
  readonly migrations: Record<string, Migration>;
  createModule(options: StandardModuleOptions<Config, DB, Overrides>): Module | Promise<Module>;
  /**
   * The auth channel, when the service needs other settings than the
   * config's; `false` for a service that checks tokens itself (auth), whose
   * module then sets `authenticate`.
   */
  createAuthenticator?: ((config: Config) => RemoteAuthenticator) | false;
  /** Closed before the rpc server: e.g. open streams that would hold its drain. */
  closeBeforeServer?(module: Module): Readonly<Record<string, CloseTarget>>;
}

/** Settings a caller other than main.ts (a test) may give. */
export interface StartStandardServiceOptions<Config, Overrides = never> {
  config: Config;
  /** Handed to the module factory: what a test legitimately tunes (budgets, its own group). */
  overrides?: Overrides;
  logger: Logger;
  /** Overrides the configured port, e.g. 0 for a free one. */
  port?: number;
  /** Overrides the configured host. */
  host?: string;
  /** The storage's connection pool (10 unless given): a race test wants more parallelism. */
  poolSize?: number;
  /** Replaces the token check; the auth channel (and the service's identity) stays. */
  authenticate?: Authenticate;
}

export interface RunningStandardService<Config, DB, Module> {
  readonly config: Config;
  /** The port bound. */
  readonly port: number;
  readonly storage: Storage<DB>;
  readonly bus: EventBus;
  readonly module: Module;
  readonly auth: RemoteAuthenticator | undefined;
  /** Everything to close, in closing order, for closeOnSignal. */
  readonly closables: Readonly<Record<string, CloseTarget>>;
  /** Closes the closables in order; the first failure is rethrown once all were tried. */
  close(): Promise<void>;
}

export interface StandardService<
  Desc extends DescService,
  Config extends ServiceConfig,
  DB,
  Module extends ServiceModule<Desc>,
  Overrides = never,
> extends StandardServiceSpec<Desc, Config, DB, Module, Overrides> {
  /** Starts it as main.ts does, without telemetry or signal handling. */
  start(
    options: StartStandardServiceOptions<Config, Overrides>,
  ): Promise<RunningStandardService<Config, DB, Module>>;
}
