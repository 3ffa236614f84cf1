import { ApiError } from '@app/http-platform';
import { MAX_ORDER_VERSION as MAX_VERSION } from '@app/order-domain';
/** A version in canonical decimal: no sign, no leading zero, at most ten digits. */
const VERSION_TEXT = /^(0|[1-9]\d{0,9})$/;

/**
 * Where a page of an order's history ended: the version of its last entry. Not opaque, on
 * purpose: an order's versions are its own keyset, so a client that holds the history up to
 * version N asks for `cursor=N` and gets what followed.
 */
export function encodeHistoryCursor(lastVersion: number): string {
  return String(lastVersion);
}

/** The version after which the page starts, or a 400 INVALID_CURSOR. */
export function decodeHistoryCursor(text: string): number {
  if (!VERSION_TEXT.test(text) || Number(text) > MAX_VERSION) {
    throw new ApiError(
      400,
      'INVALID_CURSOR',
      'cursor must be a nextCursor from an earlier page (a version, 0 to 2147483647)',
    );
  }
  return Number(text);
}
