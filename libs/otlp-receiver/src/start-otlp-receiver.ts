// A standalone OTLP/HTTP receiver on loopback, for `npm run traces`: the
// handler of create-otlp-http-handler on its own server. Spans go to a
// bounded in-memory store (and, if asked, a JSON-lines file); metrics and
// logs go to stores only when given them, else they are checked and counted.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogStore } from './create-log-store';
import type { MetricStore } from './create-metric-store';
import {
  createOtlpHttpHandler,
  defaultMaxBodyBytes,
  type OtlpReceiverStats,
} from './create-otlp-http-handler';
import { createSpanStore, type SpanStore } from './create-span-store';
import { createSpanFileWriter, type SpanFileWriter } from './span-file';

export { defaultMaxBodyBytes, type OtlpReceiverStats };

export interface OtlpReceiverOptions {
  /** A loopback address (default 127.0.0.1): the receiver has no authentication. */
  readonly host?: string;
  /** Default 4318, OTLP/HTTP's port; 0 picks a free one. */
  readonly port?: number;
  /** Where spans go; default a new store with its default bounds. */
  readonly store?: SpanStore;
  /** Where metric points and log records go; without them they are only counted. */
  readonly metrics?: MetricStore;
  readonly logs?: LogStore;
  /** Largest request body, before and after gzip (default 4 MiB, as the collector's). */
  readonly maxBodyBytes?: number;
  /** Also append every received span to this JSON-lines file. */
  readonly spanFile?: string;
  readonly maxFileBytes?: number;
  /** Told about what the receiver cannot answer for (a failed file write, an unexpected error). */
  readonly onError?: (err: Error) => void;
}

export interface OtlpReceiver {
  /** e.g. http://127.0.0.1:4318: what OTEL_EXPORTER_OTLP_ENDPOINT should say. */
  readonly url: string;
  readonly port: number;
  readonly store: SpanStore;
  stats(): OtlpReceiverStats;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) {
    throw new RangeError(
      `the OTLP receiver listens on loopback only, not ${host}: it has no authentication`,
    );
  }
  const store = options.store ?? createSpanStore();
  const onError = options.onError ?? (() => {});
  const file: SpanFileWriter | undefined = options.spanFile
    ? await createSpanFileWriter(options.spanFile, { maxFileBytes: options.maxFileBytes, onError })
    : undefined;
  const handler = createOtlpHttpHandler(
    { spans: store, metrics: options.metrics, logs: options.logs },
    {
      maxBodyBytes: options.maxBodyBytes ?? defaultMaxBodyBytes,
      onError,
      ...(file ? { onSpans: (added) => file.append(added) } : {}),
    },
  );

  const server = createServer((req, res) => {
    if (!handler(req, res)) handler.notFound(req, res);
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4318, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    store,
    stats: () => handler.stats(),
    async close() {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await file?.close();
    },
  };
}
