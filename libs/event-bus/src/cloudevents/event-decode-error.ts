/**
 * Why a record could not be turned into an event. Each reason is permanent
 * for that record: retrying cannot help, so the consumer runtime sends it to
 * the topic's dead-letter twin instead of blocking its partition.
 */
export type EventDecodeErrorReason =
  | 'missing_header'
  | 'unsupported_spec_version'
  | 'unsupported_content_type'
  | 'unknown_type'
  | 'malformed_payload'
  /** The type belongs to another topic of the registry. */
  | 'wrong_topic'
  /** `ce_source` is not the one the registry allows for the type. */
  | 'forbidden_source';

export class EventDecodeError extends Error {
  constructor(
    readonly reason: EventDecodeErrorReason,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EventDecodeError';
  }
}

export function isEventDecodeError(err: unknown): err is EventDecodeError {
  return err instanceof EventDecodeError;
}
