import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { createOtlpHttpHandler } from '@switchboard/otlp-receiver';
import { createTelemetryStore } from './create-telemetry-store';

describe('createTelemetryStore', () => {
  let server: Server;
  let url: string;
  const store = createTelemetryStore({ maxSpans: 2, maxLogRecords: 100, maxBytes: 1024 * 1024 });
  beforeAll(async () => {
    const handler = createOtlpHttpHandler(store, { maxBodyBytes: 16 * 1024 });
    server = createServer((req, res) => {
      if (!handler(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reports each signal with its bounds, what it dropped and the requests it refused', async () => {
    const resource = resourceFromAttributes({ 'service.name': 'order-service' });
    const tracing = new TracerProvider({
      resource,
      spanProcessors: [
        new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${url}/v1/traces` }) }),
      ],
    });
    for (let i = 0; i < 3; i++) tracing.getTracer('t').startSpan(`span-${i}`).end();
    await tracing.shutdown();
    const logging = new LoggerProvider({
      resource,
      processors: [
        new SimpleLogRecordProcessor({
          exporter: new OTLPLogExporter({ url: `${url}/v1/logs` }),
        }),
      ],
    });
    logging.getLogger('t').emit({ body: 'placed' });
    await logging.shutdown();
    const refused = await fetch(`${url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(refused.status).toBe(400);

    const stats = Object.fromEntries(store.stats().map((s) => [s.signal, s]));
    expect(stats.traces).toMatchObject({
      items: 2n,
      maxItems: 2n,
      maxBytes: 512n * 1024n,
      dropped: 1n,
      rejectedRequests: 0n,
    });
    expect(stats.traces!.bytes).toBeGreaterThan(0n);
    expect(stats.logs).toMatchObject({
      items: 1n,
      maxItems: 100n,
      maxBytes: 256n * 1024n,
      dropped: 0n,
      rejectedRequests: 1n,
    });
    expect(stats.metrics).toMatchObject({ items: 0n, maxItems: 100_000n, rejectedRequests: 0n });
  });

  it('refuses bounds that cannot hold anything', () => {
    expect(() => createTelemetryStore({ maxSpans: 0 })).toThrow('maxSpans');
    expect(() => createTelemetryStore({ maxBytes: 1 })).toThrow('maxBytes');
  });
});
