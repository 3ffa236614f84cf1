import { ApiError } from '@app/http-platform';

/**
 * The contract's id limit. The same rule as the command-service's parseOrderId (apps may not
 * import each other): every order id it issues passes this, so no existing order is refused.
 */
export const MAX_ID_LENGTH = 64;
const ORDER_ID = new RegExp(`^[A-Za-z0-9_.:-]{1,${MAX_ID_LENGTH}}$`);

export function isOrderId(value: unknown): value is string {
  return typeof value === 'string' && ORDER_ID.test(value);
}

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
