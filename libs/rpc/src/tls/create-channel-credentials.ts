import * as grpc from '@grpc/grpc-js';
import type { ClientTls } from './tls-settings';

/** grpc-js credentials for a channel: TLS (with a client certificate when given) or plaintext. */
export function createChannelCredentials(tls: ClientTls | undefined): grpc.ChannelCredentials {
  if (tls === undefined) return grpc.credentials.createInsecure();
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new Error('a client certificate needs its key, and a key its certificate');
  }
  return grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}
