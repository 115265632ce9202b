import type { CloudEventJson, DeliveryJob, DeliveryTraceContext } from '../delivery-job';

export type ParsedDeliveryJob =
  | { readonly ok: true; readonly job: DeliveryJob }
  | { readonly ok: false; readonly problem: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// CloudEvents 1.0: attribute names are lower-case ASCII letters and digits.
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
const JSON_MEDIA_TYPE = /^application\/json\s*(;.*)?$/i;
const REQUIRED = ['id', 'source', 'type'] as const;
const OPTIONAL_STRINGS = ['time', 'subject', 'dataschema', 'datacontenttype'] as const;

/**
 * Reads a job body off the queue. A body that is not the agreed shape gets a
 * problem naming what is wrong instead of an exception: the worker
 * dead-letters it with that reason, since no retry can fix it.
 */
export function parseDeliveryJob(body: Uint8Array): ParsedDeliveryJob {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (err) {
    return fail(`the body is not UTF-8 JSON (${(err as Error).message})`);
  }
  if (!isObject(value)) return fail('the body is not a JSON object');
  for (const key of ['deliveryId', 'subscriptionId'] as const) {
    const id = value[key];
    if (typeof id !== 'string' || !UUID.test(id)) {
      return fail(`${key} must be a UUID (got ${shown(id)})`);
    }
  }
  const event = value.event;
  if (!isObject(event)) return fail('event must be a CloudEvent as a JSON object');
  if (event.specversion !== '1.0') {
    return fail(`event.specversion must be "1.0" (got ${shown(event.specversion)})`);
  }
  for (const name of REQUIRED) {
    const attribute = event[name];
    if (typeof attribute !== 'string' || attribute.length === 0) {
      return fail(`event.${name} must be a non-empty string (got ${shown(attribute)})`);
    }
  }
  for (const name of OPTIONAL_STRINGS) {
    const attribute = event[name];
    if (attribute !== undefined && typeof attribute !== 'string') {
      return fail(`event.${name} must be a string (got ${shown(attribute)})`);
    }
  }
  if (typeof event.time === 'string' && Number.isNaN(Date.parse(event.time))) {
    return fail(`event.time must be an RFC 3339 timestamp (got ${shown(event.time)})`);
  }
  if (typeof event.datacontenttype === 'string' && !JSON_MEDIA_TYPE.test(event.datacontenttype)) {
    return fail(
      `event.datacontenttype must be application/json (got ${shown(event.datacontenttype)})`,
    );
  }
  if (!('data' in event)) return fail("event.data is missing (the event's proto3 JSON)");
  for (const [name, attribute] of Object.entries(event)) {
    if (name === 'data') continue;
    if (!ATTRIBUTE_NAME.test(name)) {
      return fail(
        `event attribute "${name.slice(0, 40)}" is not a CloudEvents attribute name (lower-case letters and digits; data is carried as JSON in "data")`,
      );
    }
    if (!['string', 'number', 'boolean'].includes(typeof attribute)) {
      return fail(`event.${name} must be a string, number or boolean (got ${shown(attribute)})`);
    }
  }
  const traceContext = traceContextOf(value.traceContext);
  return {
    ok: true,
    job: {
      deliveryId: (value.deliveryId as string).toLowerCase(),
      subscriptionId: (value.subscriptionId as string).toLowerCase(),
      // Extension attributes, checked above, ride along and become ce- headers.
      event: event as unknown as CloudEventJson,
      ...(traceContext ? { traceContext } : {}),
    },
  };
}

/**
 * A damaged trace context costs the delivery its place in the trace, never
 * the delivery: it is left out instead of failing the job. The lengths are
 * W3C's (a version-00 traceparent is 55 characters, a tracestate at most 512).
 */
function traceContextOf(value: unknown): DeliveryTraceContext | undefined {
  if (!isObject(value)) return undefined;
  const { traceparent, tracestate } = value;
  if (typeof traceparent !== 'string' || traceparent.length > 55) return undefined;
  if (typeof tracestate === 'string' && tracestate.length <= 512) {
    return { traceparent, tracestate };
  }
  return { traceparent };
}

function fail(problem: string): ParsedDeliveryJob {
  return { ok: false, problem: `malformed delivery job: ${problem}` };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short rendering of a bad value for the reason text, never the whole of a large one. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
