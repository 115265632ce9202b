// OTLP/HTTP as a request handler that another server can mount: POST
// /v1/traces, /v1/metrics and /v1/logs, in application/x-protobuf or
// application/json, optionally gzipped. Spans, metric points and log records
// go to their bounded stores; every bad request gets its 4xx and a
// google.rpc.Status body, and the server it is mounted on keeps serving.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { LogStore } from './create-log-store';
import type { MetricStore } from './create-metric-store';
import type { SpanStore } from './create-span-store';
import type { DecodedLogs, DecodedMetrics, DecodedTraces } from './decoded-request';
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from './decode-otlp-json';
import {
  decodeLogsProtobuf,
  decodeMetricsProtobuf,
  decodeTracesProtobuf,
} from './decode-otlp-protobuf';
import { OtlpDecodeError } from './otlp-decode-error';
import type { ReceivedSpan } from './received-span';

export type OtlpSignal = 'traces' | 'metrics' | 'logs';

/** Where received telemetry goes. Without a metric or log store, those signals are checked and counted only. */
export interface OtlpSink {
  readonly spans: SpanStore;
  readonly metrics?: MetricStore;
  readonly logs?: LogStore;
  /** Told of each request refused with a 4xx, so a store can say how many it never saw. */
  refused?(signal: OtlpSignal): void;
}

export interface OtlpHttpHandlerOptions {
  /** Largest request body, before and after gzip (default 4 MiB, as the collector's). */
  readonly maxBodyBytes?: number;
  /** Told about each batch of spans the store took (to write them to a file, say). */
  readonly onSpans?: (added: readonly ReceivedSpan[]) => void;
  /** Told about what the handler cannot answer for (an unexpected error). */
  readonly onError?: (err: Error) => void;
}

export interface OtlpReceiverStats {
  readonly requests: number;
  /** Requests answered with a 4xx. */
  readonly refusedRequests: number;
  /** Of those, the ones whose path named a signal, per signal. */
  readonly refusedBySignal: Readonly<Record<OtlpSignal, number>>;
  readonly spans: number;
  /** Spans refused inside otherwise valid requests (bad ids): reported as partial success. */
  readonly rejectedSpans: number;
  readonly metrics: number;
  readonly metricPoints: number;
  readonly logRecords: number;
}

export interface OtlpHttpHandler {
  /** Handles the request and returns true when its path is one of OTLP's; otherwise leaves it alone and returns false. */
  (req: IncomingMessage, res: ServerResponse): boolean;
  /** Answers a request the handler declined with a 404 in OTLP's error shape, as a standalone receiver does. */
  notFound(req: IncomingMessage, res: ServerResponse): void;
  stats(): OtlpReceiverStats;
}

export const defaultMaxBodyBytes = 4 * 1024 * 1024;

type Encoding = 'protobuf' | 'json';
type Decoded = DecodedTraces | DecodedMetrics | DecodedLogs;

const decoders: Record<OtlpSignal, Record<Encoding, (body: Uint8Array) => Decoded>> = {
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

export function createOtlpHttpHandler(
  sink: OtlpSink,
  options: OtlpHttpHandlerOptions = {},
): OtlpHttpHandler {
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const onError = options.onError ?? (() => {});
  const counts = {
    requests: 0,
    refusedRequests: 0,
    spans: 0,
    rejectedSpans: 0,
    metrics: 0,
    metricPoints: 0,
    logRecords: 0,
  };
  const refusedBySignal: Record<OtlpSignal, number> = { traces: 0, metrics: 0, logs: 0 };

  function store(decoded: Decoded): string[] {
    if ('spans' in decoded) {
      counts.spans += decoded.spans.length;
      counts.rejectedSpans += decoded.rejected.length;
      const { added } = sink.spans.add(decoded.spans);
      if (added.length > 0) options.onSpans?.(added);
      return decoded.rejected;
    }
    if ('points' in decoded) {
      counts.metrics += decoded.metrics;
      counts.metricPoints += decoded.points.length;
      sink.metrics?.add(decoded.points);
    } else {
      counts.logRecords += decoded.records.length;
      sink.logs?.add(decoded.records);
    }
    return [];
  }

  async function handle(req: IncomingMessage, res: ServerResponse, signal: OtlpSignal) {
    const encoding = encodingOf(req.headers['content-type']);
    try {
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
      let decoded: Decoded;
      try {
        decoded = decoders[signal][encoding](body);
      } catch (err) {
        if (err instanceof OtlpDecodeError)
          throw new HttpError(400, rpcCode.invalidArgument, err.message);
        throw err;
      }
      send(res, 200, encoding, exportResponse(encoding, store(decoded)));
    } catch (err) {
      if (err instanceof HttpError) {
        refuse(res, err, encoding);
        refusedBySignal[signal]++;
        sink.refused?.(signal);
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

  function refuse(res: ServerResponse, err: HttpError, encoding: Encoding | undefined): void {
    counts.refusedRequests++;
    send(
      res,
      err.status,
      encoding ?? 'json',
      statusBody(encoding ?? 'json', err.rpcCode, err.message),
    );
  }

  const handler = (req: IncomingMessage, res: ServerResponse): boolean => {
    const signal = signalOf(req.url ?? '');
    if (!signal) return false;
    counts.requests++;
    handle(req, res, signal).catch((err: Error) => {
      onError(err);
      res.destroy();
    });
    return true;
  };
  return Object.assign(handler, {
    stats: (): OtlpReceiverStats => ({ ...counts, refusedBySignal: { ...refusedBySignal } }),
    notFound(req: IncomingMessage, res: ServerResponse): void {
      counts.requests++;
      refuse(
        res,
        new HttpError(
          404,
          rpcCode.notFound,
          `no such path ${req.url}; POST to /v1/traces, /v1/metrics or /v1/logs`,
        ),
        encodingOf(req.headers['content-type']),
      );
      if (!req.complete) res.once('finish', () => req.socket.destroy());
    },
  });
}

function signalOf(url: string): OtlpSignal | undefined {
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
