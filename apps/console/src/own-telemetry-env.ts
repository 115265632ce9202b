import type { Env } from '@switchboard/config';
import { isLoopbackHost } from '@switchboard/console';

/** Where the console's own exporter reaches its receiver: a wildcard bind is reached on loopback. */
export function ownReceiverUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::' || isLoopbackHost(host))
    return `http://127.0.0.1:${port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Whether an OTLP endpoint is this console's own receiver (npm start points everyone there). */
function isOwnReceiver(endpoint: string, receiverUrl: string): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false; // the SDK will say what is wrong with it
  }
  const own = new URL(receiverUrl);
  if (url.port !== own.port) return false;
  return (
    url.hostname === own.hostname || (isLoopbackHost(url.hostname) && isLoopbackHost(own.hostname))
  );
}

const isSet = (source: Env, name: string) => (source[name] ?? '').trim() !== '';

/**
 * The OTEL_* variables to set or override so that the console's telemetry
 * sends its own spans (the explorer's Invoke spans and the client spans
 * under them) into its own store, and nothing else.
 *
 * Through its own OTLP endpoint rather than straight into the store: the
 * telemetry lib stays the one way a process exports, and the console's spans
 * meet the same decoding and bounds as everyone's. There is no loop: the
 * console's HTTP server is not instrumented, so receiving a batch or
 * answering the page's calls makes no span; and its metrics and log lines
 * are not sent to itself (logging what it receives would feed itself
 * forever). The sampler stays the default: Invoke's span is a root, and the
 * trace the explorer links to must be sampled.
 *
 * An endpoint elsewhere (the user's collector) wins: then the console exports
 * there as any process does. An endpoint that is the console itself — what
 * npm start gives every process — is treated as unset.
 */
export function ownTelemetryEnv(source: Env, receiverUrl: string): Record<string, string> {
  const endpoints = [
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
    'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
  ].filter((name) => isSet(source, name));
  if (endpoints.some((name) => !isOwnReceiver(source[name]!.trim(), receiverUrl))) return {};
  return {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiverUrl}/v1/traces`,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
  };
}
