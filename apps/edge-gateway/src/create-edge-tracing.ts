import type { IncomingMessage } from 'node:http';
import {
  metrics,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Histogram,
} from '@opentelemetry/api';

/** How a request reached the edge. */
export type EdgeProtocol = 'rest' | 'connect' | 'grpc-web';

/** What the edge knows of a request once it is answered. */
export interface EdgeOutcome {
  readonly statusCode: number;
  /** False when the connection closed before the response was complete. */
  readonly completed: boolean;
  /** The route template (`/v1/orders/{order_id}`, `/pkg.Service/Method`), if one matched. */
  readonly route: string | undefined;
  readonly protocol: EdgeProtocol | undefined;
}

export interface EdgeRequestSpan {
  /** The context to handle the request in: the span is active there, so upstream calls are its children. */
  readonly context: Context;
  end(outcome: EdgeOutcome): void;
}

export interface EdgeTracing {
  /** A SERVER span for one HTTP request, child of the caller's `traceparent` if it sent one. */
  startRequest(req: IncomingMessage, requestId: string): EdgeRequestSpan;
}

// The methods HTTP semantic conventions name; anything else is `_OTHER`, so a
// client cannot make up span names and metric series.
const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);

/**
 * The gateway's own telemetry, through the global OpenTelemetry API (what
 * libs/telemetry registers; no-ops without it): one SERVER span per HTTP
 * request with the stable HTTP attributes, and `http.server.request.duration`.
 * A Server-Sent Events stream is one request, so one span for its whole life.
 *
 * `http.route` is the matched template, never the path: it names the span and
 * labels the histogram, so ids in paths must not reach it. The raw path is
 * only `url.path`, on the span. Made after telemetry is started, because a
 * meter taken from the no-op provider stays a no-op.
 */
export function createEdgeTracing(): EdgeTracing {
  const tracer = trace.getTracer('switchboard/edge-gateway');
  const duration: Histogram = metrics
    .getMeter('switchboard/edge-gateway')
    .createHistogram('http.server.request.duration', {
      unit: 's',
      description: 'Duration of HTTP requests at the edge, by route, protocol and status',
      advice: {
        explicitBucketBoundaries: [
          0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
        ],
      },
    });

  return {
    startRequest(req, requestId) {
      const startedAt = performance.now();
      const raw = req.method ?? 'GET';
      const method = KNOWN_METHODS.has(raw) ? raw : '_OTHER';
      // A browser's or a partner's trace continues here; without one the trace
      // starts here (and most requests carry none: skip the propagators then).
      const { traceparent, baggage } = req.headers;
      const parent =
        traceparent === undefined && baggage === undefined
          ? ROOT_CONTEXT
          : propagation.extract(ROOT_CONTEXT, req.headers);
      const span = tracer.startSpan(
        method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': method,
            'url.scheme': 'http',
            // The query is left out: it may carry what a log of spans should not keep.
            'url.path': (req.url ?? '/').split('?')[0]!,
            'network.protocol.version': req.httpVersion,
            'client.address': req.socket.remoteAddress ?? 'unknown',
            'switchboard.request_id': requestId,
          },
        },
        parent,
      );
      if (method === '_OTHER' && span.isRecording()) {
        span.setAttribute('http.request.method_original', raw.slice(0, 32));
      }
      const agent = req.headers['user-agent'];
      if (agent !== undefined && span.isRecording()) {
        span.setAttribute('user_agent.original', agent.slice(0, 256));
      }
      return {
        context: trace.setSpan(parent, span),
        end(outcome) {
          const attributes: Attributes = {
            'http.request.method': method,
            'http.response.status_code': outcome.statusCode,
          };
          if (outcome.route !== undefined) attributes['http.route'] = outcome.route;
          if (outcome.protocol !== undefined) {
            attributes['switchboard.edge.protocol'] = outcome.protocol;
          }
          const failed = outcome.statusCode >= 500;
          if (failed) attributes['error.type'] = String(outcome.statusCode);
          duration.record((performance.now() - startedAt) / 1000, attributes);
          if (!span.isRecording()) return;
          span.setAttributes(attributes);
          span.setAttribute('switchboard.edge.completed', outcome.completed);
          if (outcome.route !== undefined) span.updateName(`${method} ${outcome.route}`);
          // 4xx is the client's doing: only a server fault marks the span.
          if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        },
      };
    },
  };
}
