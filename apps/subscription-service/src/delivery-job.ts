import {
  toJson,
  type DescMessage,
  type JsonValue,
  type Message,
  type Registry,
} from '@bufbuild/protobuf';

/**
 * A CloudEvent in the JSON format (structured mode), as the job carries it to
 * the workers: they send it as is (structured) or split it into ce-* headers
 * and a body (binary).
 */
export interface CloudEventJson {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  /** RFC 3339; absent when the producer set none. */
  readonly time?: string;
  readonly datacontenttype: 'application/json';
  readonly data: JsonValue;
}

/**
 * The W3C trace context of the event's own work (its process span in the
 * matcher), so every attempt to deliver it is a span in the event's trace.
 */
export interface DeliveryTraceContext {
  readonly traceparent: string;
  readonly tracestate?: string;
}

/** The job body agreed between the service and its workers, as JSON. */
export interface DeliveryJob {
  readonly deliveryId: string;
  readonly subscriptionId: string;
  readonly event: CloudEventJson;
  /**
   * Beside the event rather than a CloudEvents extension attribute in it: the
   * sink gets the trace as the POST's own traceparent header, and the event
   * it receives stays exactly the one that was published.
   */
  readonly traceContext?: DeliveryTraceContext;
}

/**
 * The event's data as proto3 JSON, with zero values written out: a filter on
 * `quantity` equals "0" must see the 0, and a receiver should not have to
 * know proto3 leaves defaults out.
 */
export function eventDataJson(
  schema: DescMessage,
  message: Message,
  registry: Registry,
): JsonValue {
  return toJson(schema, message, { registry, alwaysEmitImplicit: true });
}

export function cloudEventJson(
  attributes: { id: string; source: string; type: string; time: string | undefined },
  data: JsonValue,
): CloudEventJson {
  return {
    specversion: '1.0',
    id: attributes.id,
    source: attributes.source,
    type: attributes.type,
    ...(attributes.time === undefined ? {} : { time: attributes.time }),
    datacontenttype: 'application/json',
    data,
  };
}
