export { ConfigSchema, CONFIG_VARIABLES, BUILTIN_HOSTS, type AppConfig } from './config.schema';
export { ConfigError, type ConfigProblem, formatConfigProblems, isSecretVariable } from './config.errors';
export { loadConfig, loadConfigOrExit, type LoadConfigOptions } from './load-config';
export { ConfigModule, APP_CONFIG, InjectConfig } from './config.module';
export { readConfigSources, type ConfigSources } from './load-config';
export { CONFIG_SECTIONS, CONFIG_SECTION_NAMES, SECTION_READERS, type ConfigSection, sectionOf } from './config-sections';
export { type ConfigChange, type MergedEnv, mergeGeneratedEnv } from './generated-env';
export { renderEnvFile, writeEnvFileAtomic } from './env-file-writer';
export { type RedisConnection, type RedisSettings, redisConnection, redisClientOptions } from './redis-connection';
