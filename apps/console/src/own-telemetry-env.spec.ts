import { ownReceiverUrl, ownTelemetryEnv } from './own-telemetry-env';

describe('ownTelemetryEnv', () => {
  it("sends the console's spans to its own receiver, sampling only calls made under a sampled parent", () => {
    expect(ownTelemetryEnv({}, 'http://127.0.0.1:8088')).toEqual({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:8088/v1/traces',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'parentbased_always_off',
    });
  });

  it('leaves an endpoint or a sampler the user set alone', () => {
    expect(
      ownTelemetryEnv(
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_SAMPLER: 'always_on' },
        'http://127.0.0.1:8088',
      ),
    ).toEqual({});
    expect(
      ownTelemetryEnv(
        { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' },
        'http://x',
      ),
    ).toEqual({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' });
  });

  it('reaches a wildcard bind on loopback, and a specific address at that address', () => {
    expect(ownReceiverUrl('0.0.0.0', 8088)).toBe('http://127.0.0.1:8088');
    expect(ownReceiverUrl('::', 8088)).toBe('http://127.0.0.1:8088');
    expect(ownReceiverUrl('localhost', 8088)).toBe('http://127.0.0.1:8088');
    expect(ownReceiverUrl('10.0.0.5', 8088)).toBe('http://10.0.0.5:8088');
    expect(ownReceiverUrl('fd00::5', 8088)).toBe('http://[fd00::5]:8088');
  });
});
