// An OTLP/HTTP receiver on loopback: POST /v1/traces, /v1/metrics and
// /v1/logs, in application/x-protobuf or application/json, optionally
// gzipped. Spans go to a bounded in-memory store (and, if asked, a JSON-lines
// file); metrics and logs are checked and counted. Every bad request gets its
// 4xx and a google.rpc.Status body, and the server keeps serving.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip } from 'node:zlib';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { createSpanStore, type SpanStore } from './create-span-store';
import type { DecodedCounts, DecodedTraces } from './decoded-request';
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from './decode-otlp-json';
import {
  decodeLogsProtobuf,
  decodeMetricsProtobuf,
  decodeTracesProtobuf,
} from './decode-otlp-protobuf';
import { OtlpDecodeError } from './otlp-decode-error';
import { createSpanFileWriter, type SpanFileWriter } from './span-file';

export interface OtlpReceiverOptions {
  /** A loopback address (default 127.0.0.1): the receiver has no authentication. */
  readonly host?: string;
  /** Default 4318, OTLP/HTTP's port; 0 picks a free one. */
  readonly port?: number;
  /** Where spans go; default a new store with its default bounds. */
  readonly store?: SpanStore;
  /** Largest request body, before and after gzip (default 4 MiB, as the collector's). */
  readonly maxBodyBytes?: number;
  /** Also append every received span to this JSON-lines file. */
  readonly spanFile?: string;
  readonly maxFileBytes?: number;
  /** Told about what the receiver cannot answer for (a failed file write, an unexpected error). */
  readonly onError?: (err: Error) => void;
}

export interface OtlpReceiverStats {
  readonly requests: number;
  /** Requests answered with a 4xx. */
  readonly refusedRequests: number;
  readonly spans: number;
  /** Spans refused inside otherwise valid requests (bad ids): reported as partial success. */
  readonly rejectedSpans: number;
  readonly metrics: number;
  readonly logRecords: number;
}

export interface OtlpReceiver {
  /** e.g. http://127.0.0.1:4318: what OTEL_EXPORTER_OTLP_ENDPOINT should say. */
  readonly url: string;
  readonly port: number;
  readonly store: SpanStore;
  stats(): OtlpReceiverStats;
  close(): Promise<void>;
}

export const defaultMaxBodyBytes = 4 * 1024 * 1024;

type Encoding = 'protobuf' | 'json';
type Signal = 'traces' | 'metrics' | 'logs';

const decoders: Record<
  Signal,
  Record<Encoding, (body: Uint8Array) => DecodedTraces | DecodedCounts>
> = {
  traces: { protobuf: decodeTracesProtobuf, json: decodeTracesJson },
  metrics: { protobuf: decodeMetricsProtobuf, json: decodeMetricsJson },
  logs: { protobuf: decodeLogsProtobuf, json: decodeLogsJson },
};

/** google.rpc.Code values used in error bodies. */
const rpcCode = {
  invalidArgument: 3,
  notFound: 5,
  resourceExhausted: 8,
  unimplemented: 12,
  internal: 13,
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly rpcCode: number,
    message: string,
  ) {
    super(message);
  }
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
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const store = options.store ?? createSpanStore();
  const onError = options.onError ?? (() => {});
  const file: SpanFileWriter | undefined = options.spanFile
    ? await createSpanFileWriter(options.spanFile, { maxFileBytes: options.maxFileBytes, onError })
    : undefined;
  const counts = {
    requests: 0,
    refusedRequests: 0,
    spans: 0,
    rejectedSpans: 0,
    metrics: 0,
    logRecords: 0,
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counts.requests++;
    const signal = signalOf(req.url ?? '');
    const encoding = encodingOf(req.headers['content-type']);
    try {
      if (!signal) {
        throw new HttpError(
          404,
          rpcCode.notFound,
          `no such path ${req.url}; POST to /v1/traces, /v1/metrics or /v1/logs`,
        );
      }
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        throw new HttpError(
          405,
          rpcCode.unimplemented,
          `${req.method} is not allowed on ${req.url}; use POST`,
        );
      }
      if (!encoding) {
        throw new HttpError(
          415,
          rpcCode.invalidArgument,
          `unsupported content type ${JSON.stringify(req.headers['content-type'] ?? '')}; send application/x-protobuf or application/json`,
        );
      }
      const body = await readBody(req, maxBodyBytes);
      let decoded: DecodedTraces | DecodedCounts;
      try {
        decoded = decoders[signal][encoding](body);
      } catch (err) {
        if (err instanceof OtlpDecodeError)
          throw new HttpError(400, rpcCode.invalidArgument, err.message);
        throw err;
      }
      let rejected: string[] = [];
      if ('spans' in decoded) {
        rejected = decoded.rejected;
        counts.spans += decoded.spans.length;
        counts.rejectedSpans += rejected.length;
        const { added } = store.add(decoded.spans);
        file?.append(added);
      } else if (signal === 'metrics') counts.metrics += decoded.items;
      else counts.logRecords += decoded.items;
      send(res, 200, encoding, exportResponse(encoding, rejected));
    } catch (err) {
      if (err instanceof HttpError) {
        counts.refusedRequests++;
        send(
          res,
          err.status,
          encoding ?? 'json',
          statusBody(encoding ?? 'json', err.rpcCode, err.message),
        );
        // A body left unread (too large, wrong type) is not drained: close the connection instead.
        if (!req.complete) res.once('finish', () => req.socket.destroy());
        return;
      }
      // A client that went away mid-request is no error of ours.
      if (req.destroyed) return;
      onError(err as Error);
      send(
        res,
        500,
        encoding ?? 'json',
        statusBody(encoding ?? 'json', rpcCode.internal, 'internal error'),
      );
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      onError(err);
      res.destroy();
    });
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
    stats: () => ({ ...counts }),
    async close() {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await file?.close();
    },
  };
}

function signalOf(url: string): Signal | undefined {
  const path = url.split('?')[0];
  if (path === '/v1/traces') return 'traces';
  if (path === '/v1/metrics') return 'metrics';
  if (path === '/v1/logs') return 'logs';
  return undefined;
}

function encodingOf(contentType: string | undefined): Encoding | undefined {
  const media = contentType?.split(';')[0]?.trim().toLowerCase();
  if (media === 'application/x-protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}

function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new HttpError(413, rpcCode.resourceExhausted, `request body larger than ${maxBodyBytes} bytes`);
  const declared = Number(req.headers['content-length']);
  if (declared > maxBodyBytes) return Promise.reject(tooLarge());
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    return Promise.reject(
      new HttpError(
        415,
        rpcCode.invalidArgument,
        `unsupported content encoding ${encoding}; send gzip or none`,
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        req.off('data', onData);
        req.pause();
        reject(tooLarge());
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('error', reject);
    req.once('end', () => {
      const body = Buffer.concat(chunks);
      if (encoding !== 'gzip') return resolve(body);
      gunzip(body, { maxOutputLength: maxBodyBytes }, (err, inflated) => {
        if (!err) return resolve(inflated);
        reject(
          (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
            ? tooLarge()
            : new HttpError(400, rpcCode.invalidArgument, `malformed gzip body: ${err.message}`),
        );
      });
    });
  });
}

/** Export*ServiceResponse: empty, or a partial_success naming how many spans were refused and why. */
function exportResponse(encoding: Encoding, rejected: string[]): Uint8Array | string {
  const message =
    rejected.slice(0, 3).join('; ') +
    (rejected.length > 3 ? `; and ${rejected.length - 3} more` : '');
  if (encoding === 'json') {
    return JSON.stringify(
      rejected.length
        ? { partialSuccess: { rejectedSpans: String(rejected.length), errorMessage: message } }
        : {},
    );
  }
  if (rejected.length === 0) return new Uint8Array();
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).fork();
  w.tag(1, WireType.Varint).int64(rejected.length);
  w.tag(2, WireType.LengthDelimited).string(message);
  w.join();
  return w.finish();
}

/** google.rpc.Status, OTLP's error body. */
function statusBody(encoding: Encoding, code: number, message: string): Uint8Array | string {
  if (encoding === 'json') return JSON.stringify({ code, message });
  return new BinaryWriter()
    .tag(1, WireType.Varint)
    .int32(code)
    .tag(2, WireType.LengthDelimited)
    .string(message)
    .finish();
}

function send(
  res: ServerResponse,
  status: number,
  encoding: Encoding,
  body: Uint8Array | string,
): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'Content-Type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
