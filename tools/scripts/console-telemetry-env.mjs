// What `npm start` adds to the environment of the processes it starts so that
// their telemetry goes to the console. Pure (an environment in, the variables
// to add out) so that the decision is tested without starting the stack.

/** Any of these set means the user chose where telemetry goes: theirs wins. */
export const OTLP_ENDPOINT_VARIABLES = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
];

/** The console receives OTLP over HTTP only, in either of these encodings. */
const CONSOLE_PROTOCOLS = ['http/protobuf', 'http/json'];
const PER_SIGNAL_PROTOCOLS = ['TRACES', 'METRICS', 'LOGS'].map(
  (signal) => `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`,
);

/** Often enough for the system map's rates to look live; the SDK's default is a minute. */
export const DEVELOPMENT_METRIC_EXPORT_INTERVAL_MS = 5000;

// Empty counts as unset, as the OTel SDK reads these variables.
const isSet = (env, name) => (env[name] ?? '').trim() !== '';

/** Where the console listens, as the console itself reads CONSOLE_PORT. */
export function consoleUrl(env) {
  return `http://127.0.0.1:${isSet(env, 'CONSOLE_PORT') ? env.CONSOLE_PORT.trim() : 8088}`;
}

/**
 * The variables to add for the processes npm start runs: the console as the
 * OTLP endpoint in http/protobuf, unless the user set an endpoint of their
 * own (the general one or any per-signal one), and a short metric export
 * interval unless one is set. A gRPC protocol the user chose cannot reach the
 * console, so it is replaced when the endpoint is the console's. The
 * services' own defaults are left alone: outside npm start nothing exports.
 */
export function consoleTelemetryEnv(env) {
  const added = {};
  if (!OTLP_ENDPOINT_VARIABLES.some((name) => isSet(env, name))) {
    added.OTEL_EXPORTER_OTLP_ENDPOINT = consoleUrl(env);
    added.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/protobuf';
    for (const name of PER_SIGNAL_PROTOCOLS) {
      if (isSet(env, name) && !CONSOLE_PROTOCOLS.includes(env[name].trim())) {
        added[name] = 'http/protobuf';
      }
    }
    if (CONSOLE_PROTOCOLS.includes((env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim())) {
      // http/json is the console's too: the user's choice of encoding stands.
      added.OTEL_EXPORTER_OTLP_PROTOCOL = env.OTEL_EXPORTER_OTLP_PROTOCOL.trim();
    }
  }
  if (!isSet(env, 'OTEL_METRIC_EXPORT_INTERVAL')) {
    added.OTEL_METRIC_EXPORT_INTERVAL = String(DEVELOPMENT_METRIC_EXPORT_INTERVAL_MS);
  }
  return added;
}
