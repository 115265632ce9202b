import { AuthService } from '@switchboard/contracts';
import type { Authenticate } from './call-context';
import { createGrpcJsTransport } from './create-grpc-js-transport';
import { createServiceClient, type ServiceClient } from './create-service-client';
import { createServiceIdentity, type ServiceIdentity } from './create-service-identity';
import { createTokenAuthenticator } from './create-token-authenticator';
import { clientTlsOf } from './tls/client-tls-of';
import type { TlsSettings } from './tls/tls-settings';

/** The TLS settings, like the rest, come from the service config spread into it. */
export interface RemoteAuthenticatorOptions extends TlsSettings {
  /** host:port of the auth service (`AUTH_ADDR`). */
  authAddr: string;
  /** This service's name, e.g. "order-service": its client id towards auth. */
  service: string;
  /** `<SERVICE>_SERVICE_SECRET`, exchanged with auth for the service's token. */
  serviceSecret: string | undefined;
  /** Budget for one VerifyToken call; defaults to createTokenAuthenticator's. */
  timeoutMs?: number;
  /** How long an accepted token is trusted without asking auth again (`AUTH_VERIFY_CACHE_MS`). */
  verifyCacheMs?: number;
}

export interface RemoteAuthenticator {
  /** Checks a caller's token with AuthService.VerifyToken. */
  authenticate: Authenticate;
  /**
   * This service's own identity, for the calls it makes to other services'
   * internal methods: one credential and one channel to auth, not two.
   */
  identity: ServiceIdentity;
  /** The AuthService client behind it. */
  client: ServiceClient<typeof AuthService>;
  /** Releases the channel; after the rpc server has drained, which still verifies tokens. */
  close(): Promise<void>;
}

/** Token checks and service identity for every service but auth itself, over one channel. */
export function createRemoteAuthenticator(
  options: RemoteAuthenticatorOptions,
): RemoteAuthenticator {
  if (options.serviceSecret === undefined) {
    throw new Error(`${options.service} has no service secret to identify itself to auth`);
  }
  const transport = createGrpcJsTransport({ address: options.authAddr, tls: clientTlsOf(options) });
  const client = createServiceClient(AuthService, transport);
  const identity = createServiceIdentity({
    authClient: client,
    clientId: options.service,
    clientSecret: options.serviceSecret,
  });
  return {
    authenticate: createTokenAuthenticator(client, {
      identity,
      timeoutMs: options.timeoutMs,
      verifyCacheMs: options.verifyCacheMs,
    }),
    identity,
    client,
    close: async () => transport.close(),
  };
}
