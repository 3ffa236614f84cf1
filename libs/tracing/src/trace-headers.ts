import { ROOT_CONTEXT, context, propagation, trace, type Link } from '@opentelemetry/api';

/**
 * The active span's W3C context as message headers (`traceparent`, and `tracestate` when there
 * is one), to store with an event and carry on its Kafka record. Empty while tracing is off.
 */
export function traceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}

/**
 * Links to the traces that produced these records, one per distinct producing span. A consumer's
 * batch span links to them rather than descending from one of them: a batch has many parents,
 * and a replay reads events long after their traces ended.
 */
export function linksFromHeaders(
  records: Iterable<{ headers?: Record<string, string | undefined> }>,
): Link[] {
  const links = new Map<string, Link>();
  for (const { headers } of records) {
    const traceparent = headers?.traceparent;
    if (!traceparent || links.has(traceparent)) continue;
    // Against the root context: an unreadable header must yield nothing, not the active span.
    const spanContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, headers));
    if (spanContext && trace.isSpanContextValid(spanContext)) {
      links.set(traceparent, { context: spanContext });
    }
  }
  return [...links.values()];
}
