import { create, toJsonString, type Registry } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';

/** One google.rpc.Status detail as it came off the wire. */
export interface PackedDetail {
  /** The message's full name, e.g. google.rpc.ErrorInfo. */
  type: string;
  value: Uint8Array;
}

/**
 * A detail as proto3 JSON prints an Any: `{"@type": "type.googleapis.com/…", …fields}`.
 * A type the registry does not know keeps its bytes, base64 in `value`, so
 * nothing the service said is lost.
 */
export function detailJson(detail: PackedDetail, registry: Registry): string {
  const typeUrl = `type.googleapis.com/${detail.type}`;
  try {
    return toJsonString(AnySchema, create(AnySchema, { typeUrl, value: detail.value }), {
      registry,
    });
  } catch {
    return JSON.stringify({
      '@type': typeUrl,
      value: Buffer.from(detail.value).toString('base64'),
    });
  }
}
