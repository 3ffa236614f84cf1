import { ROOT_CONTEXT, SpanStatusCode, context, type SpanOptions } from '@opentelemetry/api';
import { isTracing, tracer } from './tracing';

export interface InSpanOptions extends SpanOptions {
  /** A span of its own trace, not a child of the active span. */
  root?: boolean;
  /** Errors that are answers (a refused command), not failures: recorded, not marked. */
  isRefusal?: (error: unknown) => boolean;
}

/**
 * Runs `work` inside a span named `name`, a child of the active one (or, with `root`, of none):
 * ended when the work settles, marked as an error when it throws something other than a
 * refusal. Tracing off, it is only a call.
 */
export function inSpan<T>(
  name: string,
  options: InSpanOptions,
  work: () => Promise<T>,
): Promise<T> {
  if (!isTracing()) return work();
  const { root, isRefusal, ...spanOptions } = options;
  const parent = root ? ROOT_CONTEXT : context.active();
  return tracer().startActiveSpan(name, spanOptions, parent, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      if (!isRefusal?.(error)) span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}
