export { HttpTracingInterceptor } from './http-tracing.interceptor';
export { inSpan } from './in-span';
export { linksFromHeaders, traceHeaders } from './trace-headers';
export { isTracing, startTracing, stopTracing, tracer, tracesExporters } from './tracing';
