import { randomBytes } from 'node:crypto';

/** 32 random bytes, shaped like the webhook secrets receivers know (Stripe's `whsec_`). */
export function createSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
