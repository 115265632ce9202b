import {
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Span,
} from '@opentelemetry/api';
import { contextFromHeaders } from '@switchboard/event-bus';
import type { JobOutcome, ReceivedJob } from '@switchboard/work-queue';
import type { DeliveryJob } from '../delivery-job';
import type { SinkAnswer } from './post-to-sink';

const tracer = trace.getTracer('switchboard/subscription-service');

/**
 * One attempt at a delivery as a consumer span in the event's trace (the job
 * carries the matcher's context), so the console's waterfall runs from the
 * order through Kafka and the queue to each POST. A job without a context
 * (or with a damaged one) gets a trace of its own.
 */
export function traceDeliveryAttempt(
  job: DeliveryJob,
  received: ReceivedJob,
  attempt: () => Promise<JobOutcome>,
): Promise<JobOutcome> {
  const parent = contextFromHeaders({ ...job.traceContext });
  const shortType = job.event.type.slice(job.event.type.lastIndexOf('.') + 1);
  return tracer.startActiveSpan(
    `deliver ${shortType}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.operation.type': 'process',
        'messaging.message.id': received.id,
        'cloudevents.event_id': job.event.id,
        'cloudevents.event_type': job.event.type,
        'cloudevents.event_source': job.event.source,
        'switchboard.delivery_id': job.deliveryId,
        'switchboard.subscription_id': job.subscriptionId,
        'switchboard.delivery.attempt': received.attempt,
      },
    },
    parent,
    async (span) => {
      try {
        const outcome = await attempt();
        span.setAttribute('switchboard.delivery.outcome', outcome.kind);
        if (outcome.kind === 'retry') {
          span.setAttribute('switchboard.delivery.retry_in_ms', outcome.delayMs);
        }
        if (outcome.kind === 'dead-letter') {
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
        }
        return outcome;
      } catch (err) {
        failed(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * The POST as a client span, and that span's context as the request's
 * `traceparent`: a receiver that traces continues the same trace. Only the
 * scheme, host, port and path are recorded; a sink's query string may carry
 * a token.
 */
export function tracePost(
  sinkUrl: string,
  headers: Readonly<Record<string, string>>,
  post: (headers: Record<string, string>) => Promise<SinkAnswer>,
): Promise<SinkAnswer> {
  const url = new URL(sinkUrl);
  return tracer.startActiveSpan(
    'POST',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': 'POST',
        'url.scheme': url.protocol.replace(/:$/, ''),
        'server.address': url.hostname,
        'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
        'url.path': url.pathname,
      },
    },
    async (span) => {
      const carried: Record<string, string> = { ...headers };
      propagation.inject(context.active(), carried);
      try {
        const answer = await post(carried);
        if (answer.answered) {
          span.setAttribute('http.response.status_code', answer.status);
          if (answer.status >= 400) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${answer.status}` });
          }
        } else {
          const message = 'refused' in answer ? answer.refused : answer.error;
          span.setAttribute('error.type', 'refused' in answer ? 'refused' : 'no_answer');
          span.setStatus({ code: SpanStatusCode.ERROR, message });
        }
        return answer;
      } catch (err) {
        failed(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

function failed(span: Span, err: unknown): void {
  span.recordException(err as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
}
