export {
  ConfigError,
  env,
  isDevelopment,
  loadConfig,
  readField,
  type ConfigField,
  type ConfigGroup,
  type ConfigOf,
  type ConfigSchema,
  type Env,
  type ParseContext,
} from './load-config';
export { isPublishedSecret, publishedSecrets } from './published-secrets';
export {
  LOCAL_DATABASE_URL,
  loadServiceConfig,
  serviceAddress,
  serviceSecret,
  services,
  type ServiceConfig,
  type ServiceKey,
} from './service-config';
export { grpcLimitsSchema } from './grpc-limits-schema';
export { grpcTargetOf } from './grpc-target-of';
export { TLS_CLIENT_AUTH_MODES, tlsSchema, type TlsClientAuth } from './tls-schema';
export {
  KAFKA_SASL_MECHANISMS,
  kafkaSecurityConfig,
  type KafkaSaslConfig,
  type KafkaSaslMechanism,
  type KafkaSecurityConfig,
  type KafkaSecurityOptions,
  type KafkaTlsConfig,
} from './kafka-security-config';
