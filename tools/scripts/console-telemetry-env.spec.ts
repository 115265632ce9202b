// The module is plain ESM for node; jest compiles it to CommonJS like our TypeScript.
import {
  OTLP_ENDPOINT_VARIABLES,
  consoleTelemetryEnv,
  consoleUrl,
} from './console-telemetry-env.mjs';

describe('consoleTelemetryEnv', () => {
  it('points every process at the console in http/protobuf, with live metrics', () => {
    expect(consoleTelemetryEnv({})).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:8088',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_METRIC_EXPORT_INTERVAL: '5000',
    });
  });

  it('follows CONSOLE_PORT', () => {
    expect(consoleTelemetryEnv({ CONSOLE_PORT: '18088' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBe(
      'http://127.0.0.1:18088',
    );
    expect(consoleUrl({ CONSOLE_PORT: ' ' })).toBe('http://127.0.0.1:8088');
  });

  it.each(OTLP_ENDPOINT_VARIABLES)('leaves the endpoint to the user who set %s', (name) => {
    const env = {
      [name]: 'http://collector.internal:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
    };
    // Their endpoint and their protocols stand; only the interval is a default.
    expect(consoleTelemetryEnv(env)).toEqual({ OTEL_METRIC_EXPORT_INTERVAL: '5000' });
  });

  it('treats an empty endpoint as unset, as the SDK does', () => {
    expect(consoleTelemetryEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:8088',
    });
  });

  it('keeps the user’s metric interval', () => {
    expect(consoleTelemetryEnv({ OTEL_METRIC_EXPORT_INTERVAL: '60000' })).not.toHaveProperty(
      'OTEL_METRIC_EXPORT_INTERVAL',
    );
  });

  it('toward the console, keeps an HTTP encoding the user chose and replaces gRPC', () => {
    expect(
      consoleTelemetryEnv({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      }),
    ).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:8088',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf',
      OTEL_METRIC_EXPORT_INTERVAL: '5000',
    });
    expect(
      consoleTelemetryEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).OTEL_EXPORTER_OTLP_PROTOCOL,
    ).toBe('http/protobuf');
  });
});
