export {
  ConfigError,
  env,
  loadConfig,
  readField,
  type ConfigField,
  type ConfigGroup,
  type ConfigOf,
  type ConfigSchema,
  type Env,
} from './load-config';
export {
  loadServiceConfig,
  serviceAddress,
  services,
  type ServiceConfig,
  type ServiceKey,
} from './service-config';
export {
  KAFKA_SASL_MECHANISMS,
  kafkaSecurityConfig,
  type KafkaSaslConfig,
  type KafkaSaslMechanism,
  type KafkaSecurityConfig,
  type KafkaSecurityOptions,
  type KafkaTlsConfig,
} from './kafka-security-config';
