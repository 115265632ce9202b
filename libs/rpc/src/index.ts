// The public API of libs/rpc: a gRPC server for protobuf-es services with
// access control, error mapping, health and reflection built in, and typed
// clients whose calls always carry a deadline.
export {
  createRpcServer,
  LIVENESS_SERVICE,
  type AddServiceOptions,
  type RpcServer,
  type RpcServerOptions,
} from './create-rpc-server';
export type {
  MethodHandler,
  ServerStreamingHandler,
  ServiceImpl,
  UnaryHandler,
} from './create-service-definition';
export { uniformAccess, type Access, type AccessPolicy } from './access-policy';
export type { Authenticate, CallContext, Caller, CallerRole } from './call-context';
export {
  createTokenAuthenticator,
  type TokenAuthenticatorOptions,
} from './create-token-authenticator';
export {
  createHealthMonitor,
  type HealthChange,
  type HealthMonitor,
  type HealthMonitorOptions,
  type HealthProbe,
  type ProbeFailure,
} from './create-health-monitor';
export {
  createGrpcJsTransport,
  type GrpcJsTransport,
  type GrpcJsTransportOptions,
} from './create-grpc-js-transport';
export { createServiceClient, type ServiceClient } from './create-service-client';
// Errors as google.rpc details: read from a failed call, or built for one the
// edge answers itself. The server side maps DomainErrors on its own.
export { errorDetailsOf } from './error-details/error-details-of';
export { domainErrorOf } from './error-details/domain-error-of';
export type { ErrorDetails } from './error-details/error-details';
export { toConnectError } from './to-connect-error';
// The contract's buf.validate rules, for servers other than ours (the console's Connect server).
export { createRequestValidator } from './create-request-validator';
export type { RequestValidator } from './request-validator';
export {
  createServiceIdentity,
  type ServiceIdentity,
  type ServiceIdentityOptions,
} from './create-service-identity';
// TLS for servers and clients, from the service config's TLS_* files.
export { clientTlsOf } from './tls/client-tls-of';
export { createChannelCredentials } from './tls/create-channel-credentials';
export { createServerCredentials } from './tls/create-server-credentials';
export { peerCertificateName } from './tls/peer-certificate-name';
export type { ClientTls, TlsSettings } from './tls/tls-settings';
export { grpcServerOptionsOf, type RpcServerLimits } from './grpc-server-options-of';
// What every service's main.ts uses: a serving server with health, and token
// checks against the auth service.
export {
  startRpcServer,
  type RunningRpcServer,
  type StartRpcServerOptions,
} from './start-rpc-server';
export {
  createRemoteAuthenticator,
  type RemoteAuthenticator,
  type RemoteAuthenticatorOptions,
} from './create-remote-authenticator';
// Opaque keyset page tokens for List* calls.
export type { PageCursorFormat, PageTokenCodec } from './page-token/page-token-codec';
export { createPageTokenCodec } from './page-token/create-page-token-codec';
export { createSequencePageTokenCodec } from './page-token/create-sequence-page-token-codec';
