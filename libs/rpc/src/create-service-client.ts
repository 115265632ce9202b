import type { DescService } from '@bufbuild/protobuf';
import { createClient, type Client, type Transport } from '@connectrpc/connect';

/** A typed client: one promise-returning (or async-iterable) function per method. */
export type ServiceClient<Desc extends DescService> = Client<Desc>;

export function createServiceClient<Desc extends DescService>(
  desc: Desc,
  transport: Transport,
): ServiceClient<Desc> {
  return createClient(desc, transport);
}
