import { create } from '@bufbuild/protobuf';
import { AttributeSchema, type Attribute } from '@switchboard/contracts';
import type { Attributes } from '@switchboard/otlp-receiver';

/** Each attribute with its value as JSON text, so the page shows `"PLACED"`, `3` and `["a","b"]` apart. */
export function toProtoAttributes(attributes: Attributes): Attribute[] {
  return Object.entries(attributes).map(([key, value]) =>
    create(AttributeSchema, { key, value: JSON.stringify(value) }),
  );
}
