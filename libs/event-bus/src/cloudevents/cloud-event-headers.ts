/**
 * CloudEvents 1.0 Kafka protocol binding, binary content mode: the event's
 * attributes travel as `ce_`-prefixed record headers and the record value is
 * the protobuf payload itself, so consumers that only care about routing never
 * parse the payload, and any CloudEvents-aware tool can read the envelope.
 */
export const cloudEventHeaders = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  source: 'ce_source',
  type: 'ce_type',
  time: 'ce_time',
  contentType: 'content-type',
} as const;

export const CLOUD_EVENTS_SPEC_VERSION = '1.0';

/** The media type of a protobuf binary payload. */
export const PROTOBUF_CONTENT_TYPE = 'application/protobuf';
