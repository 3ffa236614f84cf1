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
    return new Observable((subscriber) =>
      context.with(active, () =>
        next.handle().subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            endWithError(span, error);
            subscriber.error(error);
          },
          complete: () => {
            // Nest sets the handler's status code before interceptors run.
            span.setAttribute('http.response.status_code', reply.statusCode);
            span.end();
            subscriber.complete();
          },
        }),
      ),
    );
  }
}

function endWithError(span: Span, error: unknown): void {
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number') span.setAttribute('http.response.status_code', status);
  // A refusal (4xx) is the API working; only what the server failed at marks the span.
  if (typeof status !== 'number' || status >= 500) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
