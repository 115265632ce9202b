import { ConnectError } from '@connectrpc/connect';

/** The ConnectError a call failed with; fails the test if it succeeded. */
export async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ConnectError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** The stable domain code (`error-code` trailer) and the parsed `error-details` trailer. */
export function errorInfo(err: ConnectError): {
  code?: string;
  details?: unknown;
  violations?: unknown;
} {
  const code = err.metadata.get('error-code') ?? undefined;
  const raw = err.metadata.get('error-details');
  const parsed =
    raw === null ? {} : (JSON.parse(raw) as { details?: unknown; violations?: unknown });
  return { code, ...parsed };
}
