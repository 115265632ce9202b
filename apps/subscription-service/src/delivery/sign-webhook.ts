import { createHmac } from 'node:crypto';

export interface WebhookSignatureInput {
  /** `whsec_<base64>`: the key is the base64 after the prefix, as Standard Webhooks has it. */
  readonly secret: string;
  /** The delivery id: the same on every attempt, so receivers deduplicate by it. */
  readonly id: string;
  /** Seconds since the epoch, at this attempt: receivers refuse old ones, which stops replays. */
  readonly timestampSeconds: number;
  /** The exact body sent. */
  readonly body: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The Standard Webhooks signature headers: webhook-id, webhook-timestamp and
 * webhook-signature `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`.
 * It is the scheme Stripe and GitHub signatures follow (a MAC over the body,
 * bound to a timestamp) with published verifiers in many languages, so a sink
 * need not write its own.
 */
export function signWebhook(input: WebhookSignatureInput): Record<string, string> {
  const encoded = input.secret.startsWith('whsec_') ? input.secret.slice(6) : input.secret;
  if (encoded.length === 0 || !BASE64.test(encoded)) {
    throw new Error('the signing secret is not whsec_ followed by base64');
  }
  if (!Number.isSafeInteger(input.timestampSeconds) || input.timestampSeconds < 0) {
    throw new RangeError(`timestampSeconds must be whole seconds (got ${input.timestampSeconds})`);
  }
  const timestamp = String(input.timestampSeconds);
  const signature = createHmac('sha256', Buffer.from(encoded, 'base64'))
    .update(`${input.id}.${timestamp}.${input.body}`, 'utf8')
    .digest('base64');
  return {
    'webhook-id': input.id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  };
}
