import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

// OTLP/JSON's shapes, as far as the tests look.
export type JsonValue = { stringValue?: string; intValue?: string | number };
export type JsonAttribute = { key: string; value: JsonValue };
export interface JsonLogRecord {
  severityNumber: number;
  severityText: string;
  body: JsonValue;
  attributes: JsonAttribute[];
  traceId?: string;
  spanId?: string;
  timeUnixNano: string;
}
export interface JsonLogsRequest {
  resourceLogs: {
    resource: { attributes: JsonAttribute[] };
    scopeLogs: { logRecords: JsonLogRecord[] }[];
  }[];
}

export interface LogCollector {
  /** e.g. http://127.0.0.1:41234, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  /** Every request, in arrival order; tests may empty it. */
  readonly received: ReceivedRequest[];
  /** The resource logs of every http/json request to /v1/logs so far. */
  jsonLogs(): JsonLogsRequest['resourceLogs'];
  close(): Promise<void>;
}

/** The string value of an OTLP/JSON attribute. */
export function attributeOf(attributes: JsonAttribute[], key: string): string | undefined {
  return attributes.find((a) => a.key === key)?.value.stringValue;
}

/**
 * A real OTLP/HTTP endpoint on loopback that keeps every request and answers
 * 200; the workspace's receiver does not keep log records, so log tests
 * decode what arrives themselves.
 */
export async function startLogCollector(): Promise<LogCollector> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? '' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    jsonLogs: () =>
      received
        .filter(
          (r) => r.url.endsWith('/v1/logs') && r.headers['content-type'] === 'application/json',
        )
        .flatMap((r) => (JSON.parse(r.body.toString('utf8')) as JsonLogsRequest).resourceLogs),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
