export { loadConfig } from './load-config';
export { InvalidEnvironmentError, validateEnv } from './validate-env';
