import { create, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
  RetryInfoSchema,
} from '@switchboard/contracts';
import type { DomainError } from '@switchboard/errors';
import { ERROR_DOMAIN } from './error-domain';

/** One error detail to send: a message and its schema, the shape ConnectError takes. */
export interface StatusDetail {
  desc: DescMessage;
  value: MessageInitShape<DescMessage>;
}

/**
 * A client that retries an UNAVAILABLE should not come straight back; one
 * second is a floor, not a promise that the dependency is back by then.
 */
const UNAVAILABLE_RETRY_MS = 1000;

/** ErrorInfo's metadata holds strings only: a string goes as it is, anything else as JSON. */
function metadataOf(details: Record<string, unknown> | undefined): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(details ?? {})) {
    if (value === undefined) continue;
    metadata[key] =
      typeof value === 'string'
        ? value
        : typeof value === 'bigint'
          ? value.toString()
          : (JSON.stringify(value) ?? String(value));
  }
  return metadata;
}

function retryAfterMsOf(err: DomainError): number | undefined {
  const ms = err.details?.['retryAfterMs'];
  if (typeof ms === 'number' && Number.isFinite(ms)) return Math.max(0, Math.ceil(ms));
  return err.kind === 'unavailable' ? UNAVAILABLE_RETRY_MS : undefined;
}

function detail<Desc extends DescMessage>(desc: Desc, value: MessageInitShape<Desc>): StatusDetail {
  return { desc, value: create(desc, value) };
}

/**
 * The google.rpc details of a domain error: always an ErrorInfo with its code
 * as the reason; the field violations as a BadRequest; unmet conditions as a
 * PreconditionFailure; a RetryInfo when waiting and trying again can succeed.
 */
export function statusDetailsOf(err: DomainError): StatusDetail[] {
  const details = [
    detail(ErrorInfoSchema, {
      reason: err.code,
      domain: ERROR_DOMAIN,
      metadata: metadataOf(err.details),
    }),
  ];
  if (err.violations.length > 0) {
    details.push(
      detail(BadRequestSchema, {
        fieldViolations: err.violations.map(({ field, description }) => ({ field, description })),
      }),
    );
  }
  if (err.preconditions.length > 0) {
    details.push(
      detail(PreconditionFailureSchema, {
        violations: err.preconditions.map(({ type, subject, description }) => ({
          type,
          subject,
          description,
        })),
      }),
    );
  }
  const retryAfterMs = retryAfterMsOf(err);
  if (retryAfterMs !== undefined) {
    details.push(detail(RetryInfoSchema, { retryDelay: durationFromMs(retryAfterMs) }));
  }
  return details;
}
