import { DatabaseOverloadedError, isTransientDatabaseError } from '@app/database';
import { ApiError, type ErrorMapper } from '@app/http-platform';

/** The query-service's own refusals are ApiErrors already; what is left is the database. */
export const mapQueryError: ErrorMapper = (error) => {
  if (error instanceof DatabaseOverloadedError) {
    return ApiError.overloaded('The order view is at capacity; retry shortly');
  }
  if (isTransientDatabaseError(error)) {
    return new ApiError(
      503,
      'DATABASE_UNAVAILABLE',
      'The order view is unavailable or overloaded; retry later',
      undefined,
      1,
    );
  }
  return undefined;
};
