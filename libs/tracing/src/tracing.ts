import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  TracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';

const EXPORTERS: Record<string, () => SpanExporter> = {
  console: () => new ConsoleSpanExporter(),
  // Endpoint, headers and timeout from the standard OTEL_EXPORTER_OTLP_* variables.
  otlp: () => new OTLPTraceExporter(),
};

let provider: TracerProvider | undefined;

/**
 * Traces are off unless OTEL_TRACES_EXPORTER names exporters (`console`, `otlp`, or both,
 * comma-separated); OTEL_SDK_DISABLED=true turns them off whatever it says. Off, every span is
 * the API's no-op and no traceparent is written anywhere. Called once, before the app is built.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const names = tracesExporters(env);
  if (names.length === 0 || provider) return provider !== undefined;
  provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || serviceName }),
    spanProcessors: names.map(
      (name) =>
        new BatchSpanProcessor({
          exporter: EXPORTERS[name](),
          scheduledDelayMillis: positiveNumber(env.OTEL_BSP_SCHEDULE_DELAY, 5_000),
        }),
    ),
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return true;
}

/** Exports what is still buffered; the app calls it as it shuts down. */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  provider = undefined;
  await stopping?.shutdown();
}

export function isTracing(): boolean {
  return provider !== undefined;
}

/** The suite's tracer: a no-op one while tracing is off. */
export function tracer(): Tracer {
  return trace.getTracer('order-ledger');
}

/** The exporters OTEL_TRACES_EXPORTER names; a name we do not know is refused at boot. */
export function tracesExporters(env: NodeJS.ProcessEnv): string[] {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return [];
  const names = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '' && name !== 'none');
  const unknown = names.filter((name) => !(name in EXPORTERS));
  if (unknown.length > 0) {
    throw new Error(
      `OTEL_TRACES_EXPORTER: ${unknown.join(', ')} is not an exporter here (console, otlp or none)`,
    );
  }
  return [...new Set(names)];
}

function positiveNumber(value: string | undefined, fallback: number): number {
  const number = Number(value);
  return value !== undefined && Number.isFinite(number) && number > 0 ? number : fallback;
}
