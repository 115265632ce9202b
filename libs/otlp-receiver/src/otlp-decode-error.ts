/** A request body that is not a valid OTLP export request; the receiver answers 400 with its message. */
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}
