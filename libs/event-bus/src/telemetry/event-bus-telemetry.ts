import { metrics, trace, type Meter, type Tracer } from '@opentelemetry/api';

/** Instrumentation scope of everything the event bus traces and measures. */
export const EVENT_BUS_SCOPE = 'switchboard/event-bus';

/** Attribute names of the OTel messaging semantic conventions, used by spans and metrics. */
export const messagingAttributes = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  messageId: 'messaging.message.id',
  key: 'messaging.kafka.message.key',
  partition: 'messaging.destination.partition.id',
  offset: 'messaging.kafka.offset',
  group: 'messaging.consumer.group.name',
  batchCount: 'messaging.batch.message_count',
  /** Not a convention: the CloudEvents type, which several events of one topic differ by. */
  eventType: 'cloudevents.event_type',
} as const;

/**
 * The tracer and meter, looked up when a relay or consumer is created rather
 * than when this module loads: `@opentelemetry/api` hands out no-op meters
 * until the SDK is registered and does not upgrade them afterwards, so a
 * meter taken at import time would stay silent for good.
 */
export function eventBusTelemetry(): { tracer: Tracer; meter: Meter } {
  return { tracer: trace.getTracer(EVENT_BUS_SCOPE), meter: metrics.getMeter(EVENT_BUS_SCOPE) };
}
