import { trace } from '@opentelemetry/api';
import { create } from '@bufbuild/protobuf';
import { ExplorerServiceSchema, ListServicesResponseSchema } from '@switchboard/contracts';
import { createGrpcJsTransport, type GrpcJsTransport } from '@switchboard/rpc';
import { systemClock } from '@switchboard/timing';
import type { ConsoleMethods } from '../console-methods';
import type { ConsoleTarget } from '../console-target';
import { channelOptions } from './channel-options';
import { createServiceCatalog } from './create-service-catalog';
import { describeMethod } from './describe-method';
import type { ExplorerOptions } from './explorer-options';
import { invokeMethod, methodToCall, parseRequest } from './invoke-method';

/** Names the targets left out of ListServices, one value each: `<id> (<address>): <reason>`. */
export const OMITTED_TARGET_HEADER = 'switchboard-explorer-omitted';

const DEFAULT_CACHE_TTL_MS = 10_000;

/** The explorer's part of ConsoleService, and what it holds open. */
export type ExplorerMethods = Required<Pick<ConsoleMethods, 'listServices' | 'invoke'>> & {
  /** Closes its channels to the targets. */
  close(): void;
};

/** A header value must be one line of visible ASCII. */
const headerSafe = (text: string) => text.replace(/[^\x20-\x7e]+/g, ' ').slice(0, 500);

/**
 * ListServices and Invoke, from what the services say about themselves
 * through gRPC server reflection: there is no list of services or methods
 * in the console. A target that does not answer is left out of the list (its
 * reason in a response header) rather than failing the others.
 */
export function createExplorerMethods(options: ExplorerOptions): ExplorerMethods {
  const tracer = options.tracer ?? trace.getTracer('switchboard/console');
  const clock = options.clock ?? systemClock;
  const catalog = createServiceCatalog({
    targets: options.targets,
    clock,
    timeoutMs: options.callTimeoutMs,
    ttlMs: options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS,
  });
  const transports = new Map<string, GrpcJsTransport>();
  const transportOf = (target: ConsoleTarget) => {
    let transport = transports.get(target.id);
    if (transport === undefined) {
      transport = createGrpcJsTransport({
        address: target.address,
        defaultTimeoutMs: options.callTimeoutMs,
        channelOptions,
      });
      transports.set(target.id, transport);
    }
    return transport;
  };

  return {
    async listServices(_request, ctx) {
      const { reflected, omitted } = await catalog.snapshot();
      for (const { target, reason } of omitted) {
        ctx.responseHeader.append(
          OMITTED_TARGET_HEADER,
          headerSafe(`${target.id} (${target.address}): ${reason}`),
        );
      }
      return create(ListServicesResponseSchema, {
        services: reflected.flatMap(({ target, services, registry }) =>
          services.map((service) =>
            create(ExplorerServiceSchema, {
              name: service.typeName,
              node: target.id,
              address: target.address,
              methods: service.methods.map((method) => describeMethod(method, registry)),
            }),
          ),
        ),
      });
    },

    async *invoke(request, ctx) {
      const found = await catalog.find(request.service);
      // find() has just asked every target again: this snapshot is that answer, from the cache.
      const omitted = found === undefined ? (await catalog.snapshot()).omitted : [];
      const method = methodToCall(found, request, omitted);
      const input = parseRequest(method, found!, request.requestJson);
      yield* invokeMethod(found!, method, input, request.token, {
        signal: ctx.signal,
        transport: transportOf(found!.reflected.target),
        tracer,
        callTimeoutMs: options.callTimeoutMs,
      });
    },

    close() {
      catalog.close();
      for (const transport of transports.values()) transport.close();
      transports.clear();
    },
  };
}
