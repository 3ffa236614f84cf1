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
