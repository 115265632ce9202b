import type { DescService } from '@bufbuild/protobuf';
import type { ServiceModule } from './service-module';

type Probe = () => Promise<void>;

/**
 * The standard probes every service has (database, Kafka) and the module's
 * own. A module probe under a standard name would silently replace it, so
 * that is refused at start.
 */
export function serviceProbes(
  standard: Readonly<Record<string, Probe>>,
  module: Pick<ServiceModule<DescService>, 'probes'>,
): Record<string, Probe> {
  const probes: Record<string, Probe> = { ...standard };
  for (const [name, probe] of Object.entries(module.probes ?? {})) {
    if (name in probes) throw new Error(`the module's health probe "${name}" is a standard one`);
    probes[name] = probe;
  }
  return probes;
}
