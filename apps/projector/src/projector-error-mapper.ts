import { DatabaseOverloadedError, isTransientDatabaseError } from '@app/database';
import { ApiError, type ErrorMapper } from '@app/http-platform';
import { ReplayAlreadyRunningError } from './persistence/replay.repository';
import { ReplayNotRunningError } from './replay/order-view-replays';
import { OrderNotParkedError } from './view/order-view-writer';

/** The admin API's refusals as HTTP. */
export const mapProjectorError: ErrorMapper = (error) => {
  if (error instanceof ReplayAlreadyRunningError) {
    return new ApiError(409, 'REPLAY_RUNNING', error.message);
  }
  if (error instanceof ReplayNotRunningError) {
    return new ApiError(404, 'REPLAY_NOT_RUNNING', error.message);
  }
  if (error instanceof OrderNotParkedError) {
    return new ApiError(404, 'ORDER_NOT_PARKED', error.message);
  }
  if (error instanceof DatabaseOverloadedError) {
    return ApiError.overloaded('The read database is at capacity; retry shortly');
  }
  if (isTransientDatabaseError(error)) {
    return new ApiError(
      503,
      'DATABASE_UNAVAILABLE',
      'The read database is unavailable; retry later',
      undefined,
      1,
    );
  }
  // kafkajs's errors (reading end offsets) say whether they are worth retrying.
  if (/^KafkaJS/.test((error as Error)?.name ?? '')) {
    return new ApiError(503, 'KAFKA_UNAVAILABLE', 'Kafka is unavailable; retry later');
  }
  return undefined;
};
