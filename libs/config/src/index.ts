export { ConfigSchema, CONFIG_VARIABLES, BUILTIN_HOSTS, type AppConfig } from './config.schema';
export { ConfigError, type ConfigProblem, formatConfigProblems, isSecretVariable } from './config.errors';
export { loadConfig, loadConfigOrExit, type LoadConfigOptions } from './load-config';
export { ConfigModule, APP_CONFIG, InjectConfig } from './config.module';
