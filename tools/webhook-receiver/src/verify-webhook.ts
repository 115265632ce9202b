import { createHmac, timingSafeEqual } from 'node:crypto';

export interface WebhookToVerify {
  /** `whsec_<base64>`, as CreateSubscription returned it. */
  readonly secret: string;
  /** The request's headers, names in lower case (as node:http gives them). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The raw body, exactly as received: re-serialized JSON would not match. */
  readonly body: Uint8Array | string;
  /** Epoch milliseconds; Date.now() unless a test pins it. */
  readonly nowMs?: number;
  /** How far webhook-timestamp may be from now, either way (default 300 s, as Standard Webhooks advises). */
  readonly toleranceSeconds?: number;
}

export type WebhookVerdict =
  | { readonly ok: true; readonly id: string; readonly timestampSeconds: number }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks a Standard Webhooks signature, as a sink would: webhook-signature
 * holds one or more space-separated `v1,<base64>` HMAC-SHA256 signatures of
 * `<webhook-id>.<webhook-timestamp>.<body>`, keyed by the base64 after
 * `whsec_`. A timestamp outside the tolerance is refused even when the
 * signature matches, so a captured request cannot be replayed later.
 *
 * Written from the scheme, not shared with the service's signer, so a test
 * that verifies with it checks the signer against the specification.
 */
export function verifyWebhook(input: WebhookToVerify): WebhookVerdict {
  const id = header(input.headers, 'webhook-id');
  const timestamp = header(input.headers, 'webhook-timestamp');
  const signatures = header(input.headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    return refuse('missing webhook-id, webhook-timestamp or webhook-signature');
  }
  if (!/^\d{1,15}$/.test(timestamp))
    return refuse(`webhook-timestamp "${timestamp}" is not whole seconds`);
  const nowSeconds = Math.floor((input.nowMs ?? Date.now()) / 1_000);
  const tolerance = input.toleranceSeconds ?? 300;
  const age = nowSeconds - Number(timestamp);
  if (age > tolerance)
    return refuse(`webhook-timestamp is ${age} s old (more than ${tolerance} s)`);
  if (age < -tolerance) return refuse(`webhook-timestamp is ${-age} s in the future`);

  const encodedKey = input.secret.startsWith('whsec_') ? input.secret.slice(6) : input.secret;
  const key = Buffer.from(encodedKey, 'base64');
  if (key.length === 0) return refuse('the secret is not whsec_ followed by base64');
  const body = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : input.body;
  const expected = createHmac('sha256', key)
    .update(`${id}.${timestamp}.`, 'utf8')
    .update(body)
    .digest();
  for (const entry of signatures.split(' ')) {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || value === undefined) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      return { ok: true, id, timestampSeconds: Number(timestamp) };
    }
  }
  return refuse('no v1 signature matches');
}

function header(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function refuse(reason: string): WebhookVerdict {
  return { ok: false, reason };
}
