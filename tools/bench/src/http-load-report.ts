// What one HTTP load run measured, built from autocannon's per-response
// events rather than its own summary: autocannon's latency histogram keeps
// whole milliseconds, far too coarse to compare with ghz's nanoseconds when
// the question is whether the edge adds 1.5 ms. Pure, so it is unit-tested
// without a server; autocannon-runner.ts feeds it, http-load.ts reads it.
import type { GhzResult } from './ghz';
import { percentile } from './stats';

/** What http-load.ts passes autocannon-runner.ts as its single argument, in JSON. */
export interface HttpLoadSpec {
  /** http://127.0.0.1:port */
  readonly origin: string;
  readonly connections: number;
  readonly durationSec: number;
  readonly maxCalls: number;
  readonly timeoutSec: number;
  /** Sent in turn, each connection cycling through the list. */
  readonly requests: readonly {
    readonly method: string;
    readonly path: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly body?: string;
  }[];
  /** A fresh `idempotency-key` header on every request, so every PlaceOrder is a new order. */
  readonly uniqueIdempotencyKey: boolean;
}

/** The runner's one line of output. */
export interface HttpLoadReport {
  /** Wall time of the run, in seconds, as autocannon measured it. */
  readonly durationSec: number;
  /** Responses with a 2xx status. */
  readonly ok: number;
  /** Responses by HTTP status, 2xx included. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Requests that got no response: connection errors and timeouts. */
  readonly socketErrors: number;
  /** Why calls failed, "401 UNAUTHENTICATED: …" or a socket error, with how often. */
  readonly failures: Readonly<Record<string, number>>;
  /** Of the 2xx responses only (as autocannon's own summary), in ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface HttpLoadRecorder {
  response(status: number, durationMs: number): void;
  /** The body of a non-2xx response, to say why it failed. */
  failedBody(status: number, body: string): void;
  socketError(message: string): void;
  report(durationSec: number): HttpLoadReport;
}

/** Kept per failure reason: enough to name it, short enough for a table note. */
const REASON_LENGTH = 160;
/** Distinct reasons kept; a storm of distinct messages must not grow without bound. */
const MAX_REASONS = 20;

/** "404 NOT_FOUND: no such product" from an edge error body, else the status and the body's start. */
export function failureReason(status: number, body: string): string {
  let reason = body.trim();
  try {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
    if (parsed !== null && typeof parsed === 'object' && typeof parsed.message === 'string') {
      reason =
        typeof parsed.code === 'string' ? `${parsed.code}: ${parsed.message}` : parsed.message;
    }
  } catch {
    // Not JSON (a proxy's HTML, an empty body): the raw text says what it can.
  }
  return `${status} ${reason || '(empty body)'}`.slice(0, REASON_LENGTH);
}

export function createHttpLoadRecorder(): HttpLoadRecorder {
  const statuses: Record<string, number> = {};
  const failures: Record<string, number> = {};
  const latencies: number[] = [];
  let socketErrors = 0;
  const count = (reason: string) => {
    if (failures[reason] !== undefined) failures[reason] += 1;
    else if (Object.keys(failures).length < MAX_REASONS) failures[reason] = 1;
    else failures['(other reasons)'] = (failures['(other reasons)'] ?? 0) + 1;
  };
  return {
    response(status, durationMs) {
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) latencies.push(durationMs);
    },
    failedBody(status, body) {
      count(failureReason(status, body));
    },
    socketError(message) {
      socketErrors += 1;
      count(`no response: ${message}`.slice(0, REASON_LENGTH));
    },
    report(durationSec) {
      return {
        durationSec,
        ok: latencies.length,
        statuses: { ...statuses },
        socketErrors,
        failures: { ...failures },
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
      };
    },
  };
}

/**
 * The report in the harness's shape, as ghz's runs are: calls/s counts 2xx
 * responses only, and every other answer or missing answer is an error.
 */
export function toLoadResult(report: HttpLoadReport): GhzResult {
  let answered = 0;
  for (const n of Object.values(report.statuses)) answered += n;
  const errors = answered - report.ok + report.socketErrors;
  const top = Object.entries(report.failures).sort((a, b) => b[1] - a[1])[0];
  return {
    callsPerSec: report.durationSec > 0 ? report.ok / report.durationSec : 0,
    okCalls: report.ok,
    errorCalls: errors,
    p50Ms: report.p50Ms,
    p99Ms: report.p99Ms,
    ...(errors > 0 && top !== undefined ? { topError: `${top[0]} (${top[1]}×)` } : {}),
  };
}

/** The runner's output line, checked: a runner that printed something else fails loudly. */
export function parseHttpLoadReport(line: string): HttpLoadReport {
  const raw = JSON.parse(line) as Partial<Record<keyof HttpLoadReport, unknown>>;
  const number = (v: unknown) => (typeof v === 'number' ? v : Number.NaN);
  if (
    typeof raw.durationSec !== 'number' ||
    typeof raw.ok !== 'number' ||
    typeof raw.socketErrors !== 'number' ||
    typeof raw.statuses !== 'object' ||
    raw.statuses === null ||
    typeof raw.failures !== 'object' ||
    raw.failures === null
  ) {
    throw new Error(`not an HTTP load report: ${line.slice(0, 200)}`);
  }
  return {
    durationSec: raw.durationSec,
    ok: raw.ok,
    statuses: raw.statuses as Record<string, number>,
    socketErrors: raw.socketErrors,
    failures: raw.failures as Record<string, number>,
    // JSON has no NaN: a run without a single 2xx prints null.
    p50Ms: number(raw.p50Ms),
    p99Ms: number(raw.p99Ms),
  };
}
