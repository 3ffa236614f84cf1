import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * A refusal as the contract's error body shows it: `{statusCode, error, message}`, where `error`
 * is a stable code clients can branch on (the message is for people and may change).
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: readonly string[],
    /** Sent as Retry-After: when trying again makes sense (overload, an outage). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** 503 OVERLOADED: refused at once because the service is at capacity; retry after a second. */
  static overloaded(message: string): ApiError {
    return new ApiError(503, 'OVERLOADED', message, undefined, 1);
  }

  toBody(): ApiErrorBody {
    const body: ApiErrorBody = {
      statusCode: this.statusCode,
      error: this.code,
      message: this.message,
    };
    return this.details ? { ...body, details: this.details } : body;
  }
}

export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: readonly string[];
}

/** An app's translation of its own errors (domain refusals, conflicts) into ApiErrors. */
export type ErrorMapper = (error: unknown) => ApiError | undefined;

const CODES_BY_STATUS: Record<number, string> = {
  [HttpStatus.BAD_REQUEST]: 'BAD_REQUEST',
  [HttpStatus.UNAUTHORIZED]: 'UNAUTHORIZED',
  [HttpStatus.FORBIDDEN]: 'FORBIDDEN',
  [HttpStatus.NOT_FOUND]: 'NOT_FOUND',
  [HttpStatus.METHOD_NOT_ALLOWED]: 'METHOD_NOT_ALLOWED',
  [HttpStatus.NOT_ACCEPTABLE]: 'NOT_ACCEPTABLE',
  [HttpStatus.CONFLICT]: 'CONFLICT',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'PAYLOAD_TOO_LARGE',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'UNSUPPORTED_MEDIA_TYPE',
  [HttpStatus.UNPROCESSABLE_ENTITY]: 'UNPROCESSABLE_ENTITY',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'SERVICE_UNAVAILABLE',
};

/**
 * The ApiError an exception stands for, or undefined for an unexpected fault (a 500 that must be
 * logged). `mapError` goes first so an app can claim its own error types.
 */
export function toApiError(exception: unknown, mapError?: ErrorMapper): ApiError | undefined {
  if (exception instanceof ApiError) return exception;
  const mapped = mapError?.(exception);
  if (mapped) return mapped;
  // Nest's own refusals, and Fastify's (body too large, unsupported media type), which Nest wraps
  // in an HttpException with Fastify's status.
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status >= 500) return undefined;
    return new ApiError(status, CODES_BY_STATUS[status] ?? `HTTP_${status}`, exception.message);
  }
  // A body cut off by its client (Node's 'aborted', status 400, code ECONNRESET) reaches the
  // filter as a plain Error: the client's doing, not a fault of ours.
  if (isClientAbort(exception)) {
    return new ApiError(400, 'REQUEST_ABORTED', 'The request body was not received whole');
  }
  return undefined;
}

function isClientAbort(exception: unknown): boolean {
  const error = exception as { code?: unknown; statusCode?: unknown } | null;
  return error?.code === 'ECONNRESET' && error.statusCode === 400;
}

export const INTERNAL_ERROR_BODY: ApiErrorBody = Object.freeze({
  statusCode: 500,
  error: 'INTERNAL_ERROR',
  message: 'An unexpected error occurred; the request may be retried',
});
