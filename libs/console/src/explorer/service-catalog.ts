import type { DescService } from '@bufbuild/protobuf';
import type { ConsoleTarget } from '../console-target';
import type { ReflectedTarget } from './reflected-target';

/** A target whose services are missing from the list, and why. */
export interface OmittedTarget {
  readonly target: ConsoleTarget;
  readonly reason: string;
}

export interface CatalogSnapshot {
  /** In the order of the targets given. */
  readonly reflected: readonly ReflectedTarget[];
  readonly omitted: readonly OmittedTarget[];
}

export interface FoundService {
  readonly reflected: ReflectedTarget;
  readonly service: DescService;
}

/** What the service targets serve, as reflection tells it, cached a short while per target. */
export interface ServiceCatalog {
  /** `fresh` asks every target again, cache or not. */
  snapshot(options?: { fresh?: boolean }): Promise<CatalogSnapshot>;
  /** The target serving a service; asks again once before saying there is none. */
  find(serviceName: string): Promise<FoundService | undefined>;
  /** Closes the reflection channels. */
  close(): void;
}
