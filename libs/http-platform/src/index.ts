export { ApiError, type ApiErrorBody, type ErrorMapper } from './api-error';
export { CORRELATION_ID_HEADER } from './correlation-id';
export { MAX_BODY_BYTES, createHttpApp, listen } from './create-http-app';
export { HttpEnv } from './http.config';
export { MetricsRegistry } from './metrics.controller';
export { serveOpenApi } from './open-api';
export { PlatformModule, type PlatformOptions } from './platform.module';
export type { ReadinessCheck, ReadinessResult } from './readiness-check';
export { runApp } from './run-app';
