import { ownReceiverUrl, ownTelemetryEnv } from './own-telemetry-env';

const own = {
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:8088/v1/traces',
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
};

describe('ownTelemetryEnv', () => {
  it("sends only the console's spans to its own receiver: not its metrics, not its log lines", () => {
    expect(ownTelemetryEnv({}, 'http://127.0.0.1:8088')).toEqual(own);
  });

  it('treats the endpoint npm start gives every process, the console itself, as its own receiver', () => {
    for (const endpoint of ['http://127.0.0.1:8088', 'http://localhost:8088/']) {
      expect(
        ownTelemetryEnv(
          { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' },
          'http://127.0.0.1:8088',
        ),
      ).toEqual(own);
    }
  });

  it('leaves an endpoint elsewhere that the user set alone', () => {
    expect(
      ownTelemetryEnv(
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' },
        'http://127.0.0.1:8088',
      ),
    ).toEqual({});
    expect(
      ownTelemetryEnv(
        { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' },
        'http://127.0.0.1:8088',
      ),
    ).toEqual({});
  });

  it('reaches a wildcard bind on loopback, and a specific address at that address', () => {
    expect(ownReceiverUrl('0.0.0.0', 8088)).toBe('http://127.0.0.1:8088');
    expect(ownReceiverUrl('::', 8088)).toBe('http://127.0.0.1:8088');
    expect(ownReceiverUrl('localhost', 8088)).toBe('http://127.0.0.1:8088');
    expect(ownReceiverUrl('10.0.0.5', 8088)).toBe('http://10.0.0.5:8088');
    expect(ownReceiverUrl('fd00::5', 8088)).toBe('http://[fd00::5]:8088');
  });
});
