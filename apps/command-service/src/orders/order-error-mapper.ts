import { DatabaseOverloadedError, isTransientDatabaseError } from '@app/database';
import { ApiError, type ErrorMapper } from '@app/http-platform';
import { OrderDomainError, type OrderErrorKind } from '@app/order-domain';
import { IdempotencyKeyReusedError } from './idempotency-keys';
import { OrderVersionMismatchError } from './order-command.handler';
import { StreamVersionConflictError, UnreadableStoredEventError } from './order-event-store';

const STATUS_BY_KIND: Record<OrderErrorKind, number> = {
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  invalid: 400,
};

/** The command-service's refusals as HTTP: the domain's by their kind, the write path's by type. */
export const mapOrderError: ErrorMapper = (error) => {
  if (error instanceof OrderDomainError) {
    return new ApiError(STATUS_BY_KIND[error.kind], error.code, error.message);
  }
  if (error instanceof OrderVersionMismatchError) {
    return new ApiError(412, 'ORDER_VERSION_MISMATCH', error.message);
  }
  if (error instanceof StreamVersionConflictError) {
    // Only after every retry lost a race: the caller may simply try again.
    return new ApiError(409, 'CONCURRENT_MODIFICATION', error.message);
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return new ApiError(422, 'IDEMPOTENCY_KEY_REUSED', error.message);
  }
  if (error instanceof UnreadableStoredEventError && error.unknown) {
    // A newer instance wrote it during a rolling deploy: a retry reaches one that reads it.
    return new ApiError(
      503,
      'EVENT_VERSION_UNKNOWN',
      'This order has events newer than this instance understands; retry later',
      undefined,
      1,
    );
  }
  if (error instanceof DatabaseOverloadedError) {
    return ApiError.overloaded('The event store is at capacity; retry shortly');
  }
  if (isTransientDatabaseError(error)) {
    // If the connection broke during COMMIT the outcome is unknown; a retry with the same
    // Idempotency-Key is safe either way.
    return new ApiError(
      503,
      'DATABASE_UNAVAILABLE',
      'The event store is unavailable or overloaded; retry later',
      undefined,
      1,
    );
  }
  return undefined;
};
