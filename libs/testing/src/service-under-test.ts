import type { DescService } from '@bufbuild/protobuf';
import type { Logger } from '@switchboard/logger';
import type { Authenticate, ServiceClient } from '@switchboard/rpc';

/**
 * What startServiceUnderTest needs of a service: the shape of a standard
 * service definition (`<service>-service-definition.ts`, made with
 * service-runtime's defineStandardService). It is restated here, not
 * imported: service-runtime reaches storage and the event bus, whose own
 * tests import this lib.
 */
export interface TestableService<
  Desc extends DescService,
  Config extends TestableConfig,
  Running extends RunningService,
  Overrides,
> {
  readonly service: Desc;
  loadConfig(source: Record<string, string | undefined>): Config;
  start(options: {
    config: Config;
    logger: Logger;
    port?: number;
    host?: string;
    poolSize?: number;
    authenticate?: Authenticate;
    overrides?: Overrides;
  }): Promise<Running>;
}

/** The config fields the harness sets itself. */
export interface TestableConfig {
  readonly key: string;
  readonly serviceDatabaseUrl?: string;
}

export interface RunningService {
  readonly port: number;
  close(): Promise<void>;
}

export interface ServiceUnderTestOptions<Overrides> {
  /**
   * Variables for the service's own config loader, over the harness's
   * defaults: SWITCHBOARD_ENV development, SEED_DEMO_DATA false,
   * SHUTDOWN_GRACE_MS 2000, this process's KAFKA_BROKERS, and AUTH_ADDR and
   * INVENTORY_ADDR unreachable. Nothing else is inherited from the test's
   * environment.
   */
  env?: Record<string, string>;
  /** A database to reuse (a restart); by default a fresh one, dropped by stop(). */
  databaseUrl?: string;
  /** 127.0.0.1 unless given, e.g. `::1` for a second client address. */
  host?: string;
  /** The storage's connection pool, for a test that races many calls. */
  poolSize?: number;
  /**
   * Replaces the real token check. Only for a test about the service's own
   * logic, which says why; the auth channel itself stays as configured.
   */
  authenticate?: Authenticate;
  /** What the service's module factory accepts from a test: budgets, a group of its own. */
  overrides?: Overrides;
}

export interface ServiceUnderTest<Desc extends DescService, Running> {
  /** What the service started: its config, storage, bus, module. */
  readonly running: Running;
  readonly client: ServiceClient<Desc>;
  /** host:port, as a client dials it. */
  readonly address: string;
  /** The service's database, e.g. to start it again on the same data. */
  readonly databaseUrl: string;
  /** Every log line the service wrote, as parsed JSON, in order. */
  logs(): Record<string, unknown>[];
  /** Every log line the service wrote, as raw JSON text. */
  logText(): string;
  /** Closes the client and the service, then drops the database it made. */
  stop(): Promise<void>;
}
