import { parseArgs } from 'node:util';
import { UsageError } from '@switchboard/cli';

export interface ReceiverCommand {
  readonly host: string;
  readonly port: number;
  /** Exactly one of secret and secretFile. */
  readonly secret: string | undefined;
  readonly secretFile: string | undefined;
  readonly toleranceSeconds: number;
  readonly failFirst: number;
  readonly failStatus: 500 | 429;
  readonly retryAfterSeconds: number;
  readonly refuseHandshake: boolean;
}

export const receiverUsage = `usage: npm run webhook-receiver -- [options]

  A webhook sink for event subscriptions: answers the CloudEvents Web Hooks
  handshake, verifies each delivery's signature (Standard Webhooks:
  webhook-id, webhook-timestamp, webhook-signature) and prints every request
  as one JSON line on stdout. Ctrl-C stops it.

  --port N             where to listen (default 9400; 0 picks a free port)
  --host H             default 127.0.0.1
  --secret whsec_...   the subscription's signing secret (or WEBHOOK_SECRET)
  --secret-file F      read the secret from F at each request, so it can be
                       written after the subscription is created; until then
                       deliveries get 503 and are retried
  --tolerance S        refuse timestamps more than S seconds away (default 300)
  --fail-first N       answer the first N signed deliveries with --fail-status
  --fail-status C      500 (default) or 429
  --retry-after S      the Retry-After of a 429, in seconds (default 1)
  --refuse-handshake   answer the handshake with 403, so subscribing is refused`;

export function parseReceiverArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): ReceiverCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        secret: { type: 'string' },
        'secret-file': { type: 'string' },
        tolerance: { type: 'string' },
        'fail-first': { type: 'string' },
        'fail-status': { type: 'string' },
        'retry-after': { type: 'string' },
        'refuse-handshake': { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const secret = values.secret ?? (env.WEBHOOK_SECRET || undefined);
  const secretFile = values['secret-file'];
  if (secret !== undefined && secretFile !== undefined) {
    throw new UsageError('give --secret (or WEBHOOK_SECRET) or --secret-file, not both');
  }
  if (secret === undefined && secretFile === undefined) {
    throw new UsageError(
      'a signing secret is needed to verify deliveries: --secret whsec_..., WEBHOOK_SECRET, or --secret-file F',
    );
  }
  if (secret !== undefined && !isSecret(secret)) {
    throw new UsageError(
      'the secret must be whsec_ followed by base64, as CreateSubscription returns it',
    );
  }
  const failStatus = values['fail-status'] ?? '500';
  if (failStatus !== '500' && failStatus !== '429') {
    throw new UsageError(`--fail-status must be 500 or 429 (got "${failStatus}")`);
  }
  return {
    host: values.host ?? '127.0.0.1',
    port: whole('--port', values.port, 9400, 0, 65_535),
    secret,
    secretFile,
    toleranceSeconds: whole('--tolerance', values.tolerance, 300, 1),
    failFirst: whole('--fail-first', values['fail-first'], 0, 0),
    failStatus: Number(failStatus) as 500 | 429,
    retryAfterSeconds: whole('--retry-after', values['retry-after'], 1, 0),
    refuseHandshake: values['refuse-handshake'] ?? false,
  };
}

/** `whsec_` and base64 of a key of at least one byte. */
export function isSecret(value: string): boolean {
  return (
    /^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value) &&
    value.length > 6
  );
}

function whole(
  flag: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}
