// Evaluated first: installs the pg driver's require hook before anything loads pg.
import { pgInstrumentation } from './instrument-drivers';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  context,
  logs,
  metrics,
  propagation,
  trace,
  type ContextManager,
  type TextMapPropagator,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
  getBooleanFromEnv,
  getNumberFromEnv,
  getStringFromEnv,
  getStringListFromEnv,
} from '@opentelemetry/core';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchLogRecordProcessor, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { Sampler } from '@opentelemetry/sdk-trace';
import { forwardLogsTo, type Logger } from '@switchboard/logger';
import { createPropagatingTracerProvider } from './create-propagating-tracer-provider';
import { createRuntimeMetrics } from './create-runtime-metrics';
import { createSampler } from './create-sampler';
import { createStatementFilterSampler } from './create-statement-filter-sampler';

export interface TelemetryOptions {
  /** The service's name: the default of OTEL_SERVICE_NAME. */
  service: string;
  /** Where /metrics is served on 127.0.0.1; 0 picks a free port. */
  metricsPort: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /**
   * False: no OTLP export whatever the OTEL_* variables say. For the console,
   * which npm start gives the same environment as the services (pointing at
   * itself): it would otherwise send its own spans and log lines to itself,
   * and log receiving them, forever. Default true.
   */
  exportOtlp?: boolean;
}

export interface Telemetry {
  /** False when OTEL_SDK_DISABLED=true: no spans, no metrics, no /metrics. */
  readonly enabled: boolean;
  /** e.g. http://127.0.0.1:9463/metrics; undefined when disabled. */
  readonly metricsUrl: string | undefined;
  /** The OTLP protocol spans, metrics and log lines are exported with, or 'none' without an endpoint. */
  readonly exporting: {
    traces: Protocol | 'none';
    metrics: Protocol | 'none';
    logs: Protocol | 'none';
  };
  /**
   * Flushes what is queued for export, then stops everything; idempotent.
   * What the collector does not take by then is dropped, with a warning.
   */
  close(): Promise<void>;
}

const PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;
type Protocol = (typeof PROTOCOLS)[number];

/**
 * The OTLP protocol for one signal, or 'none' when no endpoint is set for it:
 * then nothing is exported at all, rather than the SDK's default of retrying
 * a collector on localhost that is usually not there.
 */
function exportProtocol(signal: 'TRACES' | 'METRICS' | 'LOGS'): Protocol | 'none' {
  const exporters = getStringListFromEnv(`OTEL_${signal}_EXPORTER`);
  if (exporters?.includes('none')) return 'none';
  const endpoint =
    getStringFromEnv(`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`) ??
    getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (endpoint === undefined) return 'none';
  const name = `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`;
  const raw = getStringFromEnv(name) ?? getStringFromEnv('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (raw === undefined) return 'http/protobuf';
  if ((PROTOCOLS as readonly string[]).includes(raw)) return raw as Protocol;
  throw new Error(
    `${getStringFromEnv(name) === undefined ? 'OTEL_EXPORTER_OTLP_PROTOCOL' : name}: ` +
      `"${raw}" is not one of ${PROTOCOLS.join(', ')}`,
  );
}

/**
 * Exporting: the SDK's tracer provider behind a batch processor, sampling as
 * OTEL_TRACES_SAMPLER says, except for transaction-control statements. Not
 * exporting: no SDK tracer provider at all (NodeSDK registers none without
 * span processors); startTelemetry registers one that only makes ids. Each
 * exporter reads its endpoint, headers and timeout from the OTEL_* variables
 * itself.
 */
function tracesConfig(protocol: Protocol | 'none', sampler: Sampler) {
  if (protocol === 'none') return { spanProcessors: [] };
  const exporter =
    protocol === 'grpc'
      ? new GrpcTraceExporter()
      : protocol === 'http/json'
        ? new JsonTraceExporter()
        : new ProtoTraceExporter();
  // The SDK puts it behind a batch processor sized from OTEL_BSP_*, and its
  // defaults are kept on purpose. Under load it sends a batch as soon as
  // OTEL_BSP_MAX_EXPORT_BATCH_SIZE (512) spans wait, so the delay (5000 ms)
  // only matters when traffic is light. Profiled under ghz, the export cost
  // is per span (building the span, then OTLP serialisation), not per
  // request: GetProduct at ~1,700 calls/s (two spans each) sent about six
  // requests a second, so bigger batches would save little. OTEL_BSP_MAX_QUEUE_SIZE (2048) is what
  // a stalled collector may hold back before spans are dropped: about half a
  // second of a busy order service; a larger queue only postpones the drops
  // and holds more memory.
  return { sampler: createStatementFilterSampler(sampler), traceExporter: exporter };
}

function metricExportFor(protocol: Protocol | 'none'): IMetricReader[] {
  if (protocol === 'none') return [];
  const exporter =
    protocol === 'grpc'
      ? new GrpcMetricExporter()
      : protocol === 'http/json'
        ? new JsonMetricExporter()
        : new ProtoMetricExporter();
  return [
    new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: getNumberFromEnv('OTEL_METRIC_EXPORT_INTERVAL') ?? 60_000,
    }),
  ];
}

/**
 * Exporting: every logger's lines (libs/logger forwards them once
 * startTelemetry asks) behind a batch processor sized from OTEL_BLRP_*, the
 * SDK's defaults otherwise (a batch of up to 512 each second, 2048 queued).
 * A collector that is down or slow costs dropped records, never a blocked or
 * failed log call: the processor only queues, and drops once the queue is
 * full, as the span processor does. Not exporting: no processor, and the
 * loggers are never asked to forward, so a line costs what it did before.
 */
function logRecordProcessorsFor(protocol: Protocol | 'none'): LogRecordProcessor[] {
  if (protocol === 'none') return [];
  const exporter =
    protocol === 'grpc'
      ? new GrpcLogExporter()
      : protocol === 'http/json'
        ? new JsonLogExporter()
        : new ProtoLogExporter();
  return [
    new BatchLogRecordProcessor({
      exporter,
      maxQueueSize: getNumberFromEnv('OTEL_BLRP_MAX_QUEUE_SIZE'),
      maxExportBatchSize: getNumberFromEnv('OTEL_BLRP_MAX_EXPORT_BATCH_SIZE'),
      scheduledDelayMillis: getNumberFromEnv('OTEL_BLRP_SCHEDULE_DELAY'),
      exportTimeoutMillis: getNumberFromEnv('OTEL_BLRP_EXPORT_TIMEOUT'),
    }),
  ];
}

function serveMetrics(prometheus: PrometheusExporter, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      prometheus.getMetricsRequestHandler(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot serve metrics on 127.0.0.1:${port}: ${err.code ?? err.message}`)),
    );
    // Loopback only: metrics describe the service's internals.
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

let running: Telemetry | undefined;

/**
 * Sets up OpenTelemetry for this process from the standard OTEL_* variables:
 * W3C trace context, an AsyncLocalStorage context manager, the pg driver's
 * spans, Prometheus metrics at /metrics always, and OTLP export of spans,
 * metrics and log lines when an endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or the
 * per-signal ones, in OTEL_EXPORTER_OTLP_PROTOCOL). OTEL_TRACES_SAMPLER(_ARG),
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are the SDK's own.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  if (running !== undefined) throw new Error('telemetry is already started in this process');
  if (getBooleanFromEnv('OTEL_SDK_DISABLED')) {
    options.logger?.info('telemetry off (OTEL_SDK_DISABLED): no spans, no metrics');
    return {
      enabled: false,
      metricsUrl: undefined,
      exporting: { traces: 'none', metrics: 'none', logs: 'none' },
      close: async () => undefined,
    };
  }
  const exporting =
    options.exportOtlp === false
      ? ({ traces: 'none', metrics: 'none', logs: 'none' } as const)
      : {
          traces: exportProtocol('TRACES'),
          metrics: exportProtocol('METRICS'),
          logs: exportProtocol('LOGS'),
        };
  // Read before anything is started, so a bad variable leaves nothing behind.
  const sampler = createSampler();
  const traces = tracesConfig(exporting.traces, sampler);
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const server = await serveMetrics(prometheus, options.metricsPort);
  const sdk = new NodeSDK({
    serviceName: getStringFromEnv('OTEL_SERVICE_NAME') ?? options.service,
    contextManager: new AsyncLocalStorageContextManager() as ContextManager,
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }) as TextMapPropagator,
    ...traces,
    metricReaders: [prometheus, ...metricExportFor(exporting.metrics)],
    // Logs always go to stdout as JSON lines (with trace ids), and as OTLP log
    // records too when exporting. An empty list also keeps the SDK from
    // configuring its default exporter to a collector that is not there.
    logRecordProcessors: logRecordProcessorsFor(exporting.logs),
    instrumentations: [pgInstrumentation],
  });
  sdk.start();
  if (exporting.traces === 'none') {
    trace.setGlobalTracerProvider(createPropagatingTracerProvider(sampler));
  }
  // The SDK registered its logger provider, with this process's resource
  // (service.name as on the spans); every logger, made before or after, sends to it.
  const stopForwarding =
    exporting.logs === 'none'
      ? () => undefined
      : forwardLogsTo(logs.getLogger('@switchboard/logger'));
  const runtime = createRuntimeMetrics(metrics.getMeter('switchboard/runtime'));
  const { port } = server.address() as AddressInfo;
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  options.logger?.info({ metrics: metricsUrl, exporting }, 'telemetry started');

  let closing: Promise<void> | undefined;
  const telemetry: Telemetry = {
    enabled: true,
    metricsUrl,
    exporting,
    close() {
      closing ??= (async () => {
        runtime.stop();
        // Lines written from here on stay on stdout only; those queued are flushed below.
        stopForwarding();
        try {
          await sdk.shutdown();
        } catch (err) {
          // A collector that is gone by now (npm start stops the console with
          // the services) costs what was queued, as it would have while
          // running: dropped, said once, and not a failed shutdown.
          options.logger?.warn(
            { err },
            'telemetry: what was queued could not be exported; dropped',
          );
        } finally {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
          // A later start in the same process (tests) may register again.
          trace.disable();
          metrics.disable();
          logs.disable();
          propagation.disable();
          context.disable();
          running = undefined;
        }
      })();
      return closing;
    },
  };
  running = telemetry;
  return telemetry;
}

/**
 * Flushes and stops the telemetry this process started, if any. The service
 * runtime calls it last on shutdown, after the rpc server and the bus, so
 * their final spans are exported.
 */
export async function shutdownTelemetry(): Promise<void> {
  await running?.close();
}
