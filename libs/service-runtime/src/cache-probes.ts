import { createCachedProbe } from './create-cached-probe';

/**
 * How long a passed health probe stands. The health monitor runs a round every
 * 2 s; with this, an idle service pings its database and broker every 10 s
 * instead. A dependency that fails shows as NOT_SERVING within about 12 s
 * (this plus one round) rather than 2 s; a recovery shows at the next round.
 */
export const HEALTH_PROBE_MAX_AGE_MS = 10_000;

/** A service's health probes, each reusing its last success for maxAgeMs (see createCachedProbe). */
export function cacheProbes<Name extends string>(
  probes: Record<Name, () => Promise<void>>,
  maxAgeMs = HEALTH_PROBE_MAX_AGE_MS,
): Record<Name, () => Promise<void>> {
  const cached = {} as Record<Name, () => Promise<void>>;
  for (const name of Object.keys(probes) as Name[]) {
    cached[name] = createCachedProbe(probes[name], { maxAgeMs });
  }
  return cached;
}
