import { ApiError } from '@app/http-platform';
import { isOrderId } from '@app/order-domain';

/**
 * Where a page of GET /orders ended: the last row's sort key. placed_at is kept to the
 * microsecond as PostgreSQL stores it (a JavaScript Date would round it to the millisecond and
 * skip or repeat rows that differ below that).
 */
export interface OrderCursor {
  /** ISO 8601 in UTC with six fractional digits: `2024-05-01T10:00:00.123456Z`. */
  readonly placedAt: string;
  readonly orderId: string;
}

const MAX_CURSOR_LENGTH = 256;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const PLACED_AT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}Z$/;

/** Opaque to clients: base64url of `[placedAt, orderId]`. */
export function encodeCursor(cursor: OrderCursor): string {
  return Buffer.from(JSON.stringify([cursor.placedAt, cursor.orderId])).toString('base64url');
}

/**
 * The position a cursor names, or a 400 INVALID_CURSOR. Every part is checked here, as a
 * value PostgreSQL cannot read (month 13, NUL in text) would otherwise surface as a 500.
 */
export function decodeCursor(text: string): OrderCursor {
  if (text.length > MAX_CURSOR_LENGTH || !BASE64URL.test(text)) throw invalidCursor();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw invalidCursor();
  const [placedAt, orderId] = decoded as unknown[];
  if (typeof placedAt !== 'string' || !isTimestamp(placedAt) || !isOrderId(orderId)) {
    throw invalidCursor();
  }
  return { placedAt, orderId };
}

/** A real instant (no 30 February), from year 1 on, which PostgreSQL accepts as timestamptz. */
function isTimestamp(text: string): boolean {
  const match = PLACED_AT.exec(text);
  if (!match || Number(match[1]) < 1) return false;
  const date = new Date(`${text.slice(0, 19)}Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 19) === text.slice(0, 19);
}

function invalidCursor(): ApiError {
  return new ApiError(400, 'INVALID_CURSOR', 'cursor must be a nextCursor from an earlier page');
}
