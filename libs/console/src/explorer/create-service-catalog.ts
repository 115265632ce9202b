import * as grpc from '@grpc/grpc-js';
import { createChannelCredentials } from '@switchboard/rpc';
import type { Clock } from '@switchboard/timing';
import type { ConsoleTarget } from '../console-target';
import { channelOptions } from './channel-options';
import { reflectTarget } from './reflect-target';
import type { ReflectedTarget } from './reflected-target';
import type { CatalogSnapshot, OmittedTarget, ServiceCatalog } from './service-catalog';

export interface ServiceCatalogOptions {
  /** The `service` targets; the edge serves no gRPC reflection. */
  targets: readonly ConsoleTarget[];
  clock: Clock;
  /** How long one target's reflection may take. */
  timeoutMs: number;
  /** How long an answer is reused: services rarely change while the console runs, but they restart. */
  ttlMs: number;
}

interface Entry {
  at: number;
  reflection: Promise<ReflectedTarget>;
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A target's reflection is cached for `ttlMs`, and concurrent callers share
 * one request. A failure is not cached: the next call asks again, so a
 * service that has just started shows up at once.
 */
export function createServiceCatalog(options: ServiceCatalogOptions): ServiceCatalog {
  const { clock, timeoutMs, ttlMs } = options;
  const targets = options.targets.filter((t) => t.kind === 'service');
  const channels = new Map<string, grpc.Client>();
  const cache = new Map<string, Entry>();

  const channelOf = (target: ConsoleTarget) => {
    let channel = channels.get(target.id);
    if (channel === undefined) {
      channel = new grpc.Client(
        target.address,
        createChannelCredentials(undefined),
        channelOptions,
      );
      channels.set(target.id, channel);
    }
    return channel;
  };

  function reflect(target: ConsoleTarget, fresh: boolean): Promise<ReflectedTarget> {
    const cached = cache.get(target.id);
    if (!fresh && cached !== undefined && clock.now() - cached.at < ttlMs) return cached.reflection;
    const entry: Entry = {
      at: clock.now(),
      reflection: reflectTarget(target, channelOf(target), timeoutMs, () => clock.now()),
    };
    cache.set(target.id, entry);
    entry.reflection.catch(() => {
      if (cache.get(target.id) === entry) cache.delete(target.id);
    });
    return entry.reflection;
  }

  async function snapshot({ fresh = false } = {}): Promise<CatalogSnapshot> {
    const outcomes = await Promise.allSettled(targets.map((t) => reflect(t, fresh)));
    const reflected: ReflectedTarget[] = [];
    const omitted: OmittedTarget[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') reflected.push(outcome.value);
      else omitted.push({ target: targets[i]!, reason: reasonOf(outcome.reason) });
    });
    return { reflected, omitted };
  }

  const lookUp = ({ reflected }: CatalogSnapshot, name: string) => {
    for (const target of reflected) {
      const service = target.services.find((s) => s.typeName === name);
      if (service !== undefined) return { reflected: target, service };
    }
    return undefined;
  };

  return {
    snapshot,
    async find(name) {
      return lookUp(await snapshot(), name) ?? lookUp(await snapshot({ fresh: true }), name);
    },
    close() {
      for (const channel of channels.values()) channel.close();
      channels.clear();
      cache.clear();
    },
  };
}
