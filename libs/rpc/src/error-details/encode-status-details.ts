import { create, toBinary } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { StatusSchema } from '@switchboard/contracts';
import type { StatusDetail } from './status-details-of';

/**
 * The google.rpc.Status that goes in the grpc-status-details-bin trailer.
 * Its code and message repeat grpc-status and grpc-message, as the gRPC
 * spec asks, so a client that reads only the trailer loses nothing.
 */
export function encodeStatusDetails(
  code: number,
  message: string,
  details: readonly StatusDetail[],
): Buffer {
  const status = create(StatusSchema, {
    code,
    message,
    details: details.map((d) => anyPack(d.desc, create(d.desc, d.value))),
  });
  const bytes = toBinary(StatusSchema, status);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
