/**
 * Configuration: one YAML file validated whole by one schema, environment overrides, secrets resolved
 * from the environment or files. {@link loadConfig} returns a frozen {@link Config} or throws a
 * {@link ConfigError} listing every problem; {@link checkConfig} returns the problems instead.
 */
export { checkConfig, checkConfigText, ENV_OVERRIDES, formatPath, loadConfig } from './load';
export type { CheckConfigResult, LoadConfigOptions } from './load';
export { ConfigError, CONFIG_INVALID } from './errors';
export { describeConfig, MASK } from './describe';
export { hashPassword, parseScryptHash, verifyPassword, type ScryptHash } from './password';
export { buildConfigSchema, NumUniqueCheck, Role, SptaTransport } from './schema';
export type {
  AlertsConfig,
  Config,
  CryptoConfig,
  DispatchConfig,
  EventsConfig,
  LocalConfig,
  LoggingConfig,
  QueuesConfig,
  RateLimitConfig,
  ReconcileConfig,
  RedisConfig,
  SchedulesConfig,
  SneConfig,
  SptaConfig,
  TerritoryConfig,
  TlsConfig,
  WebConfig,
} from './schema';
export type { ResolveContext } from './fields';
