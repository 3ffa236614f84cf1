import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { INTERNAL_ERROR_BODY, toApiError, type ErrorMapper } from './api-error';

/**
 * The one place where errors become HTTP responses. Refusals get their status and stable code;
 * anything else is a fault: logged with its stack, answered with a 500 that reveals nothing.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(ApiExceptionFilter.name);

  constructor(private readonly mapError?: ErrorMapper) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const apiError = toApiError(exception, this.mapError);
    // A handler may have set another type before it failed (the metrics' text/plain); Fastify
    // would then not serialise the body, and HEAD would fail measuring it.
    void reply.type('application/json; charset=utf-8');
    if (apiError) {
      if (apiError.retryAfterSeconds !== undefined) {
        void reply.header('retry-after', String(apiError.retryAfterSeconds));
      }
      void reply.status(apiError.statusCode).send(apiError.toBody());
      return;
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    void reply.status(INTERNAL_ERROR_BODY.statusCode).send(INTERNAL_ERROR_BODY);
  }
}
