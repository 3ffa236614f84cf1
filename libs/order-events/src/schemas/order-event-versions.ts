import type { OrderEventType } from '@app/order-domain';
import {
  orderCancelledV1,
  orderPaidV1,
  orderPlacedV1,
  orderPlacedV2,
  orderShippedV1,
} from './order-event.schemas';
import { orderPlacedV1ToV2 } from './order-event.upcasters';

/** A JSON Schema as the registry holds it: a plain JSON object. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** One published version of an event type. */
export interface OrderEventVersion {
  readonly schema: JsonSchema;
  /** To the next version's data; absent on the newest version only. */
  readonly upcast?: (data: never) => unknown;
}

/**
 * Every published version of every event type, oldest first (element i is version i + 1). The
 * newest is what writers write. Adding a version: append its schema, give the previous one an
 * upcaster, add a fixture of the previous one, run `npm run schemas:check -- --publish`.
 */
export const ORDER_EVENT_VERSIONS: {
  readonly [T in OrderEventType]: readonly OrderEventVersion[];
} = {
  OrderPlaced: [{ schema: orderPlacedV1, upcast: orderPlacedV1ToV2 }, { schema: orderPlacedV2 }],
  OrderPaid: [{ schema: orderPaidV1 }],
  OrderShipped: [{ schema: orderShippedV1 }],
  OrderCancelled: [{ schema: orderCancelledV1 }],
};

/** The version writers write: the newest. */
export function latestSchemaVersion(type: OrderEventType): number {
  return ORDER_EVENT_VERSIONS[type].length;
}

/** Whether this version of the code knows the event type (at some schema version). */
export function isKnownOrderEventType(type: string): type is OrderEventType {
  return Object.hasOwn(ORDER_EVENT_VERSIONS, type);
}
