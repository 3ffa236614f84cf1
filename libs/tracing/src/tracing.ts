import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
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
  // The SDK reads no environment of its own: the standard variables are read here.
  provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || serviceName }),
    sampler: samplerFrom(env),
    spanLimits: {
      attributeCountLimit: positiveNumber(env.OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, 128),
      linkCountLimit: positiveNumber(env.OTEL_SPAN_LINK_COUNT_LIMIT, 128),
      eventCountLimit: positiveNumber(env.OTEL_SPAN_EVENT_COUNT_LIMIT, 128),
    },
    spanProcessors: names.map(
      (name) =>
        new BatchSpanProcessor({
          exporter: EXPORTERS[name](),
          scheduledDelayMillis: positiveNumber(env.OTEL_BSP_SCHEDULE_DELAY, 5_000),
          exportTimeoutMillis: positiveNumber(env.OTEL_BSP_EXPORT_TIMEOUT, 30_000),
          maxQueueSize: positiveNumber(env.OTEL_BSP_MAX_QUEUE_SIZE, 2_048),
          maxExportBatchSize: positiveNumber(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 512),
        }),
    ),
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return true;
}

/** How long an app's shutdown waits for the last spans to be exported. */
const STOP_WITHIN_MS = 3_000;

/**
 * Exports what is still buffered; the app calls it as it shuts down. Never fails and never
 * takes long: a collector that is down must not hold up or break the app's own shutdown.
 */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  provider = undefined;
  if (!stopping) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WITHIN_MS)));
  const shutdown = stopping.shutdown().catch((error: unknown) => {
    console.error(`tracing: the last spans were not exported: ${String(error)}`);
  });
  await Promise.race([shutdown, timeout]).finally(() => clearTimeout(timer));
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

/**
 * OTEL_TRACES_SAMPLER (and _ARG, the ratio): `parentbased_always_on` by default, so a caller's
 * sampling decision carries through the whole trace.
 */
export function samplerFrom(env: NodeJS.ProcessEnv): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim().toLowerCase();
  const ratio = () => {
    const value = Number(env.OTEL_TRACES_SAMPLER_ARG ?? 1);
    return Number.isFinite(value) && value >= 0 && value <= 1 ? value : 1;
  };
  const samplers: Record<string, () => Sampler> = {
    always_on: () => new AlwaysOnSampler(),
    always_off: () => new AlwaysOffSampler(),
    traceidratio: () => new TraceIdRatioBasedSampler(ratio()),
    parentbased_always_on: () => new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    parentbased_always_off: () => new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    parentbased_traceidratio: () =>
      new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) }),
  };
  const sampler = samplers[name];
  if (!sampler) {
    throw new Error(
      `OTEL_TRACES_SAMPLER: ${name} is not a sampler here (${Object.keys(samplers).join(', ')})`,
    );
  }
  return sampler();
}

function positiveNumber(value: string | undefined, fallback: number): number {
  const number = Number(value);
  return value !== undefined && Number.isFinite(number) && number > 0 ? number : fallback;
}
