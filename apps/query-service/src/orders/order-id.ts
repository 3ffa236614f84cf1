import { ApiError } from '@app/http-platform';
import { MAX_ID_LENGTH, isOrderId } from '@app/order-domain';

export function parseOrderId(id: string): string {
  if (!isOrderId(id)) {
    throw new ApiError(
      400,
      'INVALID_ORDER_ID',
      `an order id is 1 to ${MAX_ID_LENGTH} letters, digits or _ . : -`,
    );
  }
  return id;
}
