import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Span,
} from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { tracer } from './tracing';

const UNTRACED_ROUTES = /^\/(health|metrics)(\/|$)/;

/**
 * A server span per HTTP request a handler serves, continuing the caller's trace when the request
 * carries a `traceparent`. The handler runs inside the span's context, so what it starts (the
 * command's spans, the traceparent stored with its events) belongs to that trace.
 */
@Injectable()
export class HttpTracingInterceptor implements NestInterceptor {
  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (execution.getType() !== 'http') return next.handle();
    const http = execution.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const route = request.routeOptions.url ?? '';
    // Probes and scrapes every few seconds would bury the requests that matter.
    if (UNTRACED_ROUTES.test(route)) return next.handle();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer().startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'url.path': request.url.split('?')[0],
          'correlation.id': String(request.id),
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    // Ended when the response is done (or the client gone), with the status actually sent: a
    // refusal is mapped to its status after the handler threw, by the app's exception filter.
    let thrown: unknown;
    reply.raw.once('close', () => endWithStatus(span, reply.statusCode, thrown));
    return new Observable((subscriber) =>
      context.with(active, () =>
        next.handle().subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            thrown = error;
            subscriber.error(error);
          },
          complete: () => subscriber.complete(),
        }),
      ),
    );
  }
}

/** Only what the server failed at (5xx) marks the span: a 4xx refusal is the API working. */
function endWithStatus(span: Span, status: number, thrown: unknown): void {
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) {
    if (thrown !== undefined) {
      span.recordException(thrown instanceof Error ? thrown : JSON.stringify(thrown));
    }
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
