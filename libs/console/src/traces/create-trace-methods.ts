import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  GetTraceResponseSchema,
  ListTracesResponseSchema,
  TraceSummarySchema,
} from '@switchboard/contracts';
import type { ConsoleMethods } from '../console-methods';
import { defaultTraceLimit, filterTraces } from './filter-traces';
import { linkedSpans } from './linked-spans';
import { timestampFromNanos } from './timestamp-from-nanos';
import { toLogRecord, toTraceSpan } from './to-trace-span';
import type { TraceMethodsOptions } from './trace-methods-options';

/** ListTraces and GetTrace, read from the console's telemetry store. */
export function createTraceMethods({ store }: TraceMethodsOptions): ConsoleMethods {
  return {
    listTraces(request) {
      if (request.limit < 0 || request.minDurationMs < 0) {
        throw new ConnectError(
          'limit and min_duration_ms must not be negative',
          Code.InvalidArgument,
        );
      }
      const matched = filterTraces(store.spans, request);
      const limit = request.limit === 0 ? defaultTraceLimit : request.limit;
      return create(ListTracesResponseSchema, {
        matched: matched.length,
        traces: matched.slice(0, limit).map((t) =>
          create(TraceSummarySchema, {
            traceId: t.traceId,
            rootService: t.root.service,
            rootName: t.root.name,
            startTime: timestampFromNanos(t.startTimeUnixNano),
            durationMs: t.durationMs,
            spanCount: t.spanCount,
            errorCount: t.errorCount,
            services: [...t.services],
          }),
        ),
      });
    },

    getTrace(request) {
      const traceId = request.traceId.toLowerCase();
      if (!/^[0-9a-f]{32}$/.test(traceId)) {
        throw new ConnectError(
          `trace_id must be 32 hex digits, not ${JSON.stringify(request.traceId)}`,
          Code.InvalidArgument,
        );
      }
      const spans = store.spans.trace(traceId);
      if (!spans) {
        throw new ConnectError(
          `no trace ${traceId} in the console: its spans have not arrived (services export every few seconds), or were dropped to stay within the store's bounds`,
          Code.NotFound,
        );
      }
      const linked = linkedSpans(store.spans, traceId);
      const all = [...spans, ...linked].sort((a, b) =>
        compareNanos(a.startTimeUnixNano, b.startTimeUnixNano),
      );
      const traceIds = new Set([traceId, ...linked.map((s) => s.traceId)]);
      const logs = [...traceIds]
        .flatMap((id) => store.logs.byTrace(id))
        .sort((a, b) => compareNanos(a.timeUnixNano, b.timeUnixNano));
      return create(GetTraceResponseSchema, {
        spans: all.map(toTraceSpan),
        logs: logs.map(toLogRecord),
      });
    },
  };
}

function compareNanos(a: string, b: string): number {
  const d = BigInt(a) - BigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}
