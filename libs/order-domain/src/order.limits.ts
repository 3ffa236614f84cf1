/**
 * Limits of an order, shared with the HTTP layer so that both refuse the same input. At these
 * limits the largest total is 100 × 10 000 × 10^9 = 10^15, below Number.MAX_SAFE_INTEGER.
 */
export const ORDER_LIMITS = Object.freeze({
  minItems: 1,
  maxItems: 100,
  minQuantity: 1,
  maxQuantity: 10_000,
  minUnitPrice: 0,
  maxUnitPrice: 1_000_000_000,
});

/**
 * Limits of a shipping address (OrderPlaced v2). Generous enough for postal formats worldwide;
 * the schema of OrderPlaced v2 reads them from here, so the writer and the readers agree.
 */
export const ADDRESS_LIMITS = Object.freeze({
  maxLineLength: 100,
  maxCityLength: 64,
  maxPostalCodeLength: 16,
});

/** ISO 3166-1 alpha-2, upper case. */
export const COUNTRY_CODE_PATTERN = /^[A-Z]{2}$/;

/** An order's versions are PostgreSQL integers: 1 to this. */
export const MAX_ORDER_VERSION = 2_147_483_647;

/** The contract's limit for ids (order, customer, sku, references), in characters. */
export const MAX_ID_LENGTH = 64;

/** An order id: what the command-service accepts in a path and the query-service looks up. */
export const ORDER_ID_PATTERN = new RegExp(`^[A-Za-z0-9_.:-]{1,${MAX_ID_LENGTH}}$`);

/**
 * Printable text: at least one visible character, no control characters (NUL cannot even be
 * stored in PostgreSQL text), no unpaired surrogates (not valid Unicode, so not valid UTF-8).
 */
export const PRINTABLE_TEXT = /^(?!\s*$)[^\p{Cc}\p{Cs}]+$/u;

export function isOrderId(value: unknown): value is string {
  return typeof value === 'string' && ORDER_ID_PATTERN.test(value);
}

/**
 * 1 to `maxLength` printable characters (code points, as class-validator's Length counts them).
 * A string has no more code points than UTF-16 units: only a longer one is counted, since
 * counting makes an array of its code points (most of this check's time; it runs once per
 * consumed event).
 */
export function isPrintableText(value: unknown, maxLength = MAX_ID_LENGTH): value is string {
  return (
    typeof value === 'string' &&
    PRINTABLE_TEXT.test(value) &&
    (value.length <= maxLength || [...value].length <= maxLength)
  );
}
