import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trace } from '@opentelemetry/api';
import { createLogger } from '@switchboard/logger';
import { startTelemetry, type Telemetry } from './start-telemetry';
import { startRawUnaryServer } from './testing/start-raw-unary-server';

const OTEL_VARIABLES = Object.keys(process.env).filter((name) => name.startsWith('OTEL_'));

/** Stands where the SDK would export by default (localhost:4318) and counts what arrives. */
async function listenOnDefaultCollectorPort(): Promise<{ requests: string[]; server?: Server }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(4318, '127.0.0.1', () => resolve(true));
  });
  return { requests, server: listening ? server : undefined };
}

/** Receives OTLP over gRPC on loopback and keeps each request's bytes. */
async function startGrpcReceiver(
  path = '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
) {
  const received: Buffer[] = [];
  const server = await startRawUnaryServer(path, (call) => received.push(call.request));
  return { received, endpoint: `http://127.0.0.1:${server.port}`, close: server.close };
}

describe('startTelemetry', () => {
  let telemetry: Telemetry | undefined;
  beforeEach(() => {
    for (const name of OTEL_VARIABLES) delete process.env[name];
  });
  afterEach(async () => {
    await telemetry?.close();
    telemetry = undefined;
    for (const name of Object.keys(process.env)) {
      if (name.startsWith('OTEL_')) delete process.env[name];
    }
  });

  it('with no endpoint exports nothing, not even to the default collector address', async () => {
    const collector = await listenOnDefaultCollectorPort();
    try {
      const logger = createLogger({ service: 'telemetry-spec', level: 'silent' });
      telemetry = await startTelemetry({ service: 'telemetry-spec', metricsPort: 0, logger });
      expect(telemetry.exporting).toEqual({ traces: 'none', metrics: 'none', logs: 'none' });
      // Spans carry ids (for logs and propagation) but record nothing.
      const tracer = trace.getTracer('spec');
      for (let i = 0; i < 500; i++) {
        const span = tracer.startSpan(`work ${i}`);
        expect(span.isRecording()).toBe(false);
        expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
        logger.error(`line ${i}`);
        span.end();
      }
      // close() flushes whatever an exporter would have queued.
      await telemetry.close();
      telemetry = undefined;
      await sleep(100);
      // If the port was taken, the assertion still holds for whatever listens there: we never dialled.
      expect(collector.requests).toEqual([]);
    } finally {
      await new Promise((resolve) => collector.server?.close(resolve) ?? resolve(undefined));
    }
  });

  // The HTTP exporters load node:http with import(), which jest's module
  // sandbox refuses; telemetry-in-a-service.spec.ts covers them in a real process.
  it('exports spans with OTEL_EXPORTER_OTLP_PROTOCOL=grpc', async () => {
    const receiver = await startGrpcReceiver();
    try {
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint;
      process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc';
      telemetry = await startTelemetry({ service: 'telemetry-spec', metricsPort: 0 });
      expect(telemetry.exporting.traces).toBe('grpc');
      trace.getTracer('spec').startSpan('span-over-grpc').end();
      // close() flushes the batch.
      await telemetry.close();
      telemetry = undefined;
      const body = Buffer.concat(receiver.received).toString('utf8');
      expect(body).toContain('span-over-grpc');
      expect(body).toContain('telemetry-spec');
    } finally {
      receiver.close();
    }
  });

  it('exports log lines with OTEL_EXPORTER_OTLP_PROTOCOL=grpc, carrying the active span', async () => {
    const receiver = await startGrpcReceiver(
      '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
    );
    try {
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint;
      process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc';
      // The receiver serves the logs method only.
      process.env.OTEL_TRACES_EXPORTER = 'none';
      process.env.OTEL_METRICS_EXPORTER = 'none';
      const lines: string[] = [];
      const logger = createLogger({
        service: 'telemetry-spec',
        destination: { write: (line: string) => void lines.push(line) },
      });
      telemetry = await startTelemetry({ service: 'telemetry-spec', metricsPort: 0, logger });
      expect(telemetry.exporting.logs).toBe('grpc');
      const traceId = trace.getTracer('spec').startActiveSpan('logging', (span) => {
        logger.info('a line over grpc');
        span.end();
        return span.spanContext().traceId;
      });
      await telemetry.close();
      telemetry = undefined;
      const body = Buffer.concat(receiver.received);
      expect(body.includes('a line over grpc')).toBe(true);
      expect(body.includes('telemetry-spec')).toBe(true);
      expect(body.includes(Buffer.from(traceId, 'hex'))).toBe(true);
      // stdout's line names the same trace.
      expect(lines.find((l) => l.includes('a line over grpc'))).toContain(traceId);
    } finally {
      receiver.close();
    }
  });

  it('with exportOtlp: false exports nothing even with an endpoint set', async () => {
    const receiver = await startGrpcReceiver(
      '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
    );
    try {
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint;
      process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc';
      const logger = createLogger({
        service: 'telemetry-spec',
        destination: { write: () => undefined },
      });
      telemetry = await startTelemetry({
        service: 'telemetry-spec',
        metricsPort: 0,
        logger,
        exportOtlp: false,
      });
      expect(telemetry.exporting).toEqual({ traces: 'none', metrics: 'none', logs: 'none' });
      logger.info('a line that stays on stdout');
      await telemetry.close();
      telemetry = undefined;
      expect(receiver.received).toEqual([]);
    } finally {
      receiver.close();
    }
  });

  it('with no endpoint keeps no ended span in memory', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    telemetry = await startTelemetry({ service: 'telemetry-spec', metricsPort: 0 });
    const tracer = trace.getTracer('spec');
    gc();
    const before = process.memoryUsage().heapUsed;
    // 5,000 spans of ~20 kB each: ~100 MB if they were kept, even a batch
    // queue's 2,048 would be ~40 MB.
    for (let i = 0; i < 5_000; i++) {
      tracer.startSpan('heavy', { attributes: { payload: `${i}`.padEnd(10_000, '.') } }).end();
    }
    gc();
    const grownMb = (process.memoryUsage().heapUsed - before) / 1e6;
    expect(grownMb).toBeLessThan(10);
  });

  it('serves Prometheus text on 127.0.0.1 at /metrics, with the runtime gauges', async () => {
    telemetry = await startTelemetry({ service: 'telemetry-spec', metricsPort: 0 });
    expect(telemetry.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(telemetry.metricsUrl ?? '');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^# HELP /m);
    expect(text).toMatch(/^nodejs_eventloop_delay_p99\{[^}]*\} [0-9.e-]+$/m);
    expect(text).toMatch(/^v8js_memory_heap_used\{[^}]*\} [1-9][0-9]*$/m);
    expect(text).toContain('service_name="telemetry-spec"');
    const other = await fetch(telemetry.metricsUrl?.replace('/metrics', '/') ?? '');
    expect(other.status).toBe(404);
  });

  it('takes the service name from OTEL_SERVICE_NAME over the default', async () => {
    process.env.OTEL_SERVICE_NAME = 'renamed';
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=spec';
    telemetry = await startTelemetry({ service: 'telemetry-spec', metricsPort: 0 });
    const text = await (await fetch(telemetry.metricsUrl ?? '')).text();
    expect(text).toContain('service_name="renamed"');
    expect(text).toContain('deployment_environment_name="spec"');
  });

  it('is off with OTEL_SDK_DISABLED=true: no spans, no /metrics', async () => {
    process.env.OTEL_SDK_DISABLED = 'true';
    telemetry = await startTelemetry({ service: 'telemetry-spec', metricsPort: 0 });
    expect(telemetry.enabled).toBe(false);
    expect(telemetry.metricsUrl).toBeUndefined();
    expect(trace.getTracer('spec').startSpan('nothing').isRecording()).toBe(false);
  });

  it('with no endpoint still samples as OTEL_TRACES_SAMPLER says: the flag goes downstream', async () => {
    process.env.OTEL_TRACES_SAMPLER = 'always_off';
    telemetry = await startTelemetry({ service: 'telemetry-spec', metricsPort: 0 });
    const span = trace.getTracer('spec').startSpan('root');
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
    expect(span.spanContext().traceFlags).toBe(0);
  });

  it('with no endpoint gives a child its parent’s trace and a span id of its own', async () => {
    telemetry = await startTelemetry({ service: 'telemetry-spec', metricsPort: 0 });
    const tracer = trace.getTracer('spec');
    tracer.startActiveSpan('parent', (parent) => {
      const child = tracer.startSpan('child');
      expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(child.spanContext().spanId).not.toBe(parent.spanContext().spanId);
      expect(child.spanContext().traceFlags).toBe(1);
      const root = tracer.startSpan('root', { root: true });
      expect(root.spanContext().traceId).not.toBe(parent.spanContext().traceId);
    });
  });

  it('refuses an unknown sampler, naming the variable', async () => {
    process.env.OTEL_TRACES_SAMPLER = 'sometimes';
    await expect(startTelemetry({ service: 'telemetry-spec', metricsPort: 0 })).rejects.toThrow(
      /OTEL_TRACES_SAMPLER: "sometimes" is not one of always_on, always_off, traceidratio/,
    );
    process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
    process.env.OTEL_TRACES_SAMPLER_ARG = '2';
    await expect(startTelemetry({ service: 'telemetry-spec', metricsPort: 0 })).rejects.toThrow(
      'OTEL_TRACES_SAMPLER_ARG: "2" is not a ratio between 0 and 1',
    );
  });

  it('refuses an unknown OTLP protocol, naming the variable', async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:1';
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'carrier-pigeon';
    await expect(startTelemetry({ service: 'telemetry-spec', metricsPort: 0 })).rejects.toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL: "carrier-pigeon" is not one of grpc, http\/protobuf, http\/json/,
    );
  });

  it('says which port when the metrics port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      await expect(
        startTelemetry({ service: 'telemetry-spec', metricsPort: port }),
      ).rejects.toThrow(`cannot serve metrics on 127.0.0.1:${port}: EADDRINUSE`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
