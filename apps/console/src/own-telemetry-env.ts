import type { Env } from '@switchboard/config';
import { isLoopbackHost } from '@switchboard/console';

/** Where the console's own exporter reaches its receiver: a wildcard bind is reached on loopback. */
export function ownReceiverUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::' || isLoopbackHost(host))
    return `http://127.0.0.1:${port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * The OTEL_* variables, beyond those already set, under which the console's
 * telemetry sends its own spans (Invoke's client spans) into its own store.
 *
 * Through its own OTLP endpoint rather than straight into the store: the
 * telemetry lib then stays the one way every process exports, and the
 * console's spans go through the same decoding and bounds as everyone's. No
 * loop: the console's HTTP server is not instrumented, so receiving a batch
 * or answering the page's calls makes no span.
 *
 * parentbased_always_off: the console's own background calls (health checks,
 * reflection, the admin-token check) are roots and are not recorded; a call
 * the explorer makes under a sampled traceparent is. An endpoint or sampler
 * the user set wins.
 */
export function ownTelemetryEnv(source: Env, receiverUrl: string): Record<string, string> {
  const added: Record<string, string> = {};
  if (!source.OTEL_EXPORTER_OTLP_ENDPOINT && !source.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    added.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${receiverUrl}/v1/traces`;
    added.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = 'http/protobuf';
  }
  if (!source.OTEL_TRACES_SAMPLER) added.OTEL_TRACES_SAMPLER = 'parentbased_always_off';
  return added;
}
