import type { DescService, Registry } from '@bufbuild/protobuf';
import type { ConsoleTarget } from '../console-target';

/** What one target told the explorer about itself through server reflection. */
export interface ReflectedTarget {
  readonly target: ConsoleTarget;
  /** Its services, health and reflection left out, by full name. */
  readonly services: readonly DescService[];
  /** Every type its services use, and the google.rpc error details, for JSON both ways. */
  readonly registry: Registry;
}
