import { ConnectError } from '@connectrpc/connect';
import { errorDetailsOf } from '@switchboard/rpc';

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

/**
 * A failure's standard error details, in short: the stable code (ErrorInfo's
 * reason), its details (ErrorInfo's metadata, strings), field violations
 * (BadRequest), unmet preconditions (PreconditionFailure) and the retry delay
 * (RetryInfo); each only when the status carried it.
 */
export function errorInfo(err: ConnectError): {
  code?: string;
  details?: Record<string, string>;
  violations?: { field: string; description: string }[];
  preconditions?: { type: string; subject: string; description: string }[];
  retryAfterMs?: number;
} {
  const { reason, metadata, violations, preconditions, retryAfterMs } = errorDetailsOf(err);
  return {
    ...(reason === undefined ? {} : { code: reason }),
    ...(Object.keys(metadata).length === 0 ? {} : { details: metadata }),
    ...(violations.length === 0 ? {} : { violations }),
    ...(preconditions.length === 0 ? {} : { preconditions }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}
