import { getStringFromEnv } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace';

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

function ratioFromEnv(): number {
  const raw = getStringFromEnv('OTEL_TRACES_SAMPLER_ARG');
  // The specification's default when the argument is missing.
  if (raw === undefined) return 1;
  const ratio = Number(raw);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new Error(`OTEL_TRACES_SAMPLER_ARG: "${raw}" is not a ratio between 0 and 1`);
  }
  return ratio;
}

/**
 * The sampler OTEL_TRACES_SAMPLER (and _ARG) name, by default
 * parentbased_always_on. Built here rather than left to the SDK because the
 * spans-without-an-exporter path (createPropagatingTracerProvider) needs the
 * same decision, and because an unknown name should stop the start like any
 * other bad variable, not fall back to sampling everything with a diag line
 * nobody reads.
 */
export function createSampler(): Sampler {
  const name = getStringFromEnv('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on';
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratioFromEnv());
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratioFromEnv()) });
    default:
      throw new Error(`OTEL_TRACES_SAMPLER: "${name}" is not one of ${SAMPLERS.join(', ')}`);
  }
}
