export {
  ConfigError,
  env,
  loadConfig,
  type ConfigField,
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
