import { ROOT_CONTEXT, SpanStatusCode, context, type SpanOptions } from '@opentelemetry/api';
import { isTracing, tracer } from './tracing';

/**
 * Runs `work` inside a span named `name`, a child of the active one (or, with `root`, of none):
 * ended when the work settles, marked as an error when it throws. Tracing off, it is only a call.
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions & { root?: boolean },
  work: () => Promise<T>,
): Promise<T> {
  if (!isTracing()) return work();
  const { root, ...spanOptions } = options;
  const parent = root ? ROOT_CONTEXT : context.active();
  return tracer().startActiveSpan(name, spanOptions, parent, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}
