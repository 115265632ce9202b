import { AuthService } from '@switchboard/contracts';
import type { Authenticate } from './call-context';
import { createGrpcJsTransport } from './create-grpc-js-transport';
import { createServiceClient, type ServiceClient } from './create-service-client';
import { createTokenAuthenticator } from './create-token-authenticator';
import { clientTlsOf } from './tls/client-tls-of';
import type { TlsSettings } from './tls/tls-settings';

/** The TLS settings, like the rest, come from the service config spread into it. */
export interface RemoteAuthenticatorOptions extends TlsSettings {
  /** host:port of the auth service (`AUTH_ADDR`). */
  authAddr: string;
  /** Budget for one VerifyToken call; defaults to createTokenAuthenticator's. */
  timeoutMs?: number;
  /** How long an accepted token is trusted without asking auth again (`AUTH_VERIFY_CACHE_MS`). */
  verifyCacheMs?: number;
}

export interface RemoteAuthenticator {
  /** Checks a caller's token with AuthService.VerifyToken. */
  authenticate: Authenticate;
  /**
   * The AuthService client behind it, for a service that also calls auth
   * itself (e.g. to log in a service account): one channel, not two.
   */
  client: ServiceClient<typeof AuthService>;
  /** Releases the channel; after the rpc server has drained, which still verifies tokens. */
  close(): Promise<void>;
}

/** Token checks for every service but auth itself, over a channel this object owns. */
export function createRemoteAuthenticator(
  options: RemoteAuthenticatorOptions,
): RemoteAuthenticator {
  const transport = createGrpcJsTransport({ address: options.authAddr, tls: clientTlsOf(options) });
  const client = createServiceClient(AuthService, transport);
  return {
    authenticate: createTokenAuthenticator(client, {
      timeoutMs: options.timeoutMs,
      verifyCacheMs: options.verifyCacheMs,
    }),
    client,
    close: async () => transport.close(),
  };
}
