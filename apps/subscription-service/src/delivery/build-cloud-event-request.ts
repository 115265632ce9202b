import { DeliveryMode } from '@switchboard/contracts';
import type { CloudEventJson } from '../delivery-job';

/** What to POST to a sink, before signing: the signature covers these exact body bytes. */
export interface CloudEventRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

// Attributes that binary mode carries elsewhere: data is the body, and the
// content type is the Content-Type header (CloudEvents HTTP binding 3.1.1).
const NOT_A_HEADER = new Set(['data', 'datacontenttype']);

/**
 * The CloudEvents HTTP protocol binding. Binary mode (the default) puts each
 * attribute in a `ce-` header and the data, as is, in the body, so a receiver
 * that knows nothing of CloudEvents still gets plain JSON; structured mode
 * sends one `application/cloudevents+json` document with every attribute.
 */
export function buildCloudEventRequest(
  event: CloudEventJson,
  mode: DeliveryMode,
): CloudEventRequest {
  if (mode === DeliveryMode.STRUCTURED) {
    return {
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: JSON.stringify(event),
    };
  }
  const headers: Record<string, string> = {
    'content-type': event.datacontenttype ?? 'application/json',
  };
  for (const [name, value] of Object.entries(event)) {
    if (NOT_A_HEADER.has(name) || value === undefined) continue;
    headers[`ce-${name}`] = percentEncode(String(value));
  }
  return { headers, body: event.data === undefined ? '' : JSON.stringify(event.data) };
}

/**
 * HTTP binding 3.1.3.2: a header value percent-encodes space, `"`, `%` and
 * everything outside printable ASCII, as UTF-8 bytes; a source or subject
 * with an accent or a line break must not break (or inject) a header.
 */
function percentEncode(value: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(value)) {
    const printable = byte >= 0x21 && byte <= 0x7e && byte !== 0x22 && byte !== 0x25;
    out += printable
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
