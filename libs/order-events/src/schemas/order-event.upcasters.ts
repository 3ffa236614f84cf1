import type { OrderPlacedV1Data, OrderPlacedV2Data } from './order-event.schemas';

// Upcasters turn the data of version N of a type into version N + 1. Pure and total on data
// that is valid under version N (the reader validates it first), and chained on read, so that
// readers only ever see the newest version.

/**
 * v1 had no shipping address; a v1 order has none. The declared fields are copied one by one:
 * whatever else a v1 event carries was never checked, so it must not pass as v2 data.
 */
export function orderPlacedV1ToV2(data: OrderPlacedV1Data): OrderPlacedV2Data {
  const { customerId, currency, items, total } = data;
  return { customerId, currency, items, total };
}
