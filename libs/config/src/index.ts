export {
  ConfigError,
  env,
  isDevelopment,
  loadConfig,
  type ConfigField,
  type ConfigOf,
  type ConfigSchema,
  type Env,
  type ParseContext,
} from './load-config';
export { isPublishedSecret, publishedSecrets } from './published-secrets';
export {
  loadServiceConfig,
  serviceAddress,
  serviceSecret,
  services,
  type ServiceConfig,
  type ServiceKey,
} from './service-config';
export { grpcLimitsSchema } from './grpc-limits-schema';
export { TLS_CLIENT_AUTH_MODES, tlsSchema, type TlsClientAuth } from './tls-schema';
