import { ApiError } from '@app/http-platform';
import { MAX_ID_LENGTH, isOrderId } from '@app/order-domain';

/** Visible ASCII, as HTTP header values are in practice; 255 is what Stripe and the IETF draft allow. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
/** `"3"`, also weak `W/"3"` and a bare `3`: some clients strip the quotes. */
const ENTITY_TAG = /^(?:W\/)?"?([1-9]\d{0,9})"?$/;

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

export function parseIdempotencyKey(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
    throw new ApiError(
      400,
      'INVALID_IDEMPOTENCY_KEY',
      'Idempotency-Key must be one value of 1 to 255 visible ASCII characters',
    );
  }
  return value;
}

/** The version If-Match names, or undefined for no header or `*` (any existing order). */
export function parseIfMatch(value: string | string[] | undefined): number | undefined {
  if (value === undefined || value === '*') return undefined;
  const match = typeof value === 'string' ? ENTITY_TAG.exec(value.trim()) : null;
  if (!match?.[1]) {
    throw new ApiError(400, 'INVALID_IF_MATCH', 'If-Match must be one version tag such as "3"');
  }
  return Number(match[1]);
}
