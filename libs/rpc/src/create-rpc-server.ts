import type { DescFile, DescService } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  file_google_rpc_error_details,
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { uniformAccess, type AccessPolicy } from './access-policy';
import type { Authenticate } from './call-context';
import type { HealthMonitor } from './create-health-monitor';
import { createHealthService, type HealthState } from './create-health-service';
import { createReflectionService } from './create-reflection-service';
import { createServiceDefinition, type ServiceImpl } from './create-service-definition';
import { grpcServerOptionsOf, type RpcServerLimits } from './grpc-server-options-of';
import { createServerCredentials } from './tls/create-server-credentials';
import type { TlsSettings } from './tls/tls-settings';

/** TLS when tlsCert is given (see TlsSettings), and the connection limits given. */
export interface RpcServerOptions extends TlsSettings, RpcServerLimits {
  logger: Logger;
  host: string;
  /** 0 picks a free port; start() returns the one bound. */
  port: number;
  /** Larger requests get RESOURCE_EXHAUSTED before any handler runs. */
  maxReceiveBytes: number;
  /** How long shutdown() lets in-flight calls run before cancelling them. */
  shutdownGraceMs: number;
  /** Needed as soon as one method is not public. */
  authenticate?: Authenticate;
  /**
   * Names whose verified client certificate (mTLS) is a service identity, for
   * callers that send no bearer token. Only services may hold such names.
   */
  certifiedServices?: ReadonlySet<string>;
  /** How often a server stream's token is checked again, so revocation ends it (default 10 s). */
  streamRecheckMs?: number;
  /** Drives grpc.health.v1; without one the server reports SERVING while it runs. */
  health?: HealthMonitor;
}

export interface AddServiceOptions<Desc extends DescService> {
  /** Every method's access; a method missing from it stops the registration. */
  access: AccessPolicy<Desc>;
}

export interface RpcServer {
  /** Register before start(). Methods missing from impl answer UNIMPLEMENTED. */
  addService<Desc extends DescService>(
    desc: Desc,
    impl: Partial<ServiceImpl<Desc>>,
    options: AddServiceOptions<Desc>,
  ): void;
  /** Binds and serves; resolves with the bound port. */
  start(): Promise<number>;
  /**
   * Reports NOT_SERVING, stops accepting calls, lets in-flight calls finish
   * for up to shutdownGraceMs, then cancels the rest. Idempotent.
   */
  shutdown(): Promise<void>;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The grpc.health.v1 service name that reports SERVING whenever the server
 * answers at all, unlike "" and the service names, which follow the health
 * monitor's dependency probes.
 */
export const LIVENESS_SERVICE = 'liveness';

export function createRpcServer(options: RpcServerOptions): RpcServer {
  const { logger, health } = options;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxReceiveBytes,
    ...grpcServerOptionsOf(options),
  });
  const serviceNames = new Set<string>();
  const files: DescFile[] = [];
  const healthListeners = new Set<() => void>();
  let closing = false;
  let starting: Promise<number> | undefined;
  let stopping: Promise<void> | undefined;
  let unwatchHealth: (() => void) | undefined;

  const notifyHealth = () => {
    for (const listener of healthListeners) listener();
  };

  const healthState: HealthState = {
    statusOf(service) {
      // Liveness says the process still answers, whatever its dependencies do:
      // an orchestrator that restarts a service because Kafka is down gains
      // nothing, so its liveness probe asks for this name (deploy/kubernetes).
      if (service === LIVENESS_SERVICE) return ServingStatus.SERVING;
      if (service !== '' && !serviceNames.has(service)) return ServingStatus.SERVICE_UNKNOWN;
      if (closing) return ServingStatus.NOT_SERVING;
      return (health?.serving ?? true) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    },
    get closing() {
      return closing;
    },
    subscribe(listener) {
      healthListeners.add(listener);
      return () => healthListeners.delete(listener);
    },
  };

  function register(desc: DescService, impl: object, access: AccessPolicy) {
    const service = createServiceDefinition(desc, impl, {
      logger,
      authenticate: options.authenticate,
      certifiedServices: options.certifiedServices,
      streamRecheckMs: options.streamRecheckMs,
      access,
    });
    server.addService(service.definition, service.implementation);
    files.push(desc.file);
  }

  async function start(): Promise<number> {
    register(Health, createHealthService(healthState), uniformAccess(Health, 'public'));
    // The error details' types too: grpcurl resolves the details it prints through reflection.
    createReflectionService([...files, file_google_rpc_error_details]).addToServer(server);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(
        hostPort(options.host, options.port),
        createServerCredentials(options),
        (err, bound) => (err ? reject(err) : resolve(bound)),
      );
    });
    if (health !== undefined) {
      unwatchHealth = health.onChange(({ serving, failures }) => {
        if (serving) logger.info({ health: 'SERVING' }, 'health changed: all probes pass');
        else logger.warn({ health: 'NOT_SERVING', failures }, 'health changed: probes failing');
        notifyHealth();
      });
      health.start();
    }
    // Says at a glance whether this server encrypts and who it lets connect.
    const tls =
      options.tlsCert === undefined
        ? 'off'
        : {
            none: 'on',
            request: 'on, client certificates verified when sent',
            require: 'on, client certificates required',
          }[options.tlsClientAuth ?? 'none'];
    logger.info({ port, services: [...serviceNames], tls }, 'rpc server listening');
    return port;
  }

  async function shutdown(): Promise<void> {
    closing = true;
    // Health first, so load balancers and watchers stop sending before calls are refused.
    notifyHealth();
    unwatchHealth?.();
    health?.stop();
    if (starting === undefined) return;
    await starting.catch(() => undefined);
    logger.info({ graceMs: options.shutdownGraceMs }, 'rpc server shutting down');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        logger.warn('shutdown grace period over: cancelling the calls still running');
        server.forceShutdown();
        resolve();
      }, options.shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    logger.info('rpc server stopped');
  }

  return {
    addService(desc, impl, serviceOptions) {
      if (starting !== undefined || closing) throw new Error(`add ${desc.typeName} before start()`);
      if (serviceNames.has(desc.typeName)) throw new Error(`${desc.typeName} is already added`);
      register(desc, impl, serviceOptions.access as AccessPolicy);
      serviceNames.add(desc.typeName);
    },
    start() {
      if (closing) return Promise.reject(new Error('the server is shut down'));
      starting ??= start();
      return starting;
    },
    shutdown() {
      stopping ??= shutdown();
      return stopping;
    },
  };
}
