import { fromBinary } from '@bufbuild/protobuf';
import type * as grpc from '@grpc/grpc-js';
import { StatusSchema } from '@switchboard/contracts';
import { STATUS_DETAILS_BIN } from './status-details-bin';

/** A detail as it came off the wire: what ConnectError keeps and findDetails() decodes. */
export interface IncomingDetail {
  /** The message's full name, e.g. google.rpc.ErrorInfo. */
  type: string;
  value: Uint8Array;
}

/**
 * The details of the google.rpc.Status in a failed call's trailers, still
 * packed. A trailer that does not decode is ignored: the status code and
 * message still stand, and a reader of details finds none.
 */
export function decodeStatusDetails(metadata: grpc.Metadata | undefined): IncomingDetail[] {
  const raw = metadata?.get(STATUS_DETAILS_BIN)[0];
  if (!Buffer.isBuffer(raw)) return [];
  try {
    return fromBinary(StatusSchema, raw).details.map((detail) => ({
      type: detail.typeUrl.slice(detail.typeUrl.lastIndexOf('/') + 1),
      value: detail.value,
    }));
  } catch {
    return [];
  }
}
