import { Code, ConnectError } from '@connectrpc/connect';

/** A failed call as a person reads it: the status's name, then its message. */
export function describeError(err: unknown): string {
  const e = ConnectError.from(err);
  return `${codeName(e.code)}: ${e.rawMessage}`;
}

/** `NOT_FOUND` for Code.NotFound: the spelling gRPC's tools print. */
export function codeName(code: Code): string {
  return (Code[code] ?? String(code)).replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Aborting a call on purpose (leaving a view) is not an error to show. */
export function isCanceled(err: unknown): boolean {
  return ConnectError.from(err).code === Code.Canceled;
}
