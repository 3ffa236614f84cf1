import {
  ADDRESS_LIMITS,
  COUNTRY_CODE_PATTERN,
  MAX_ID_LENGTH,
  PRINTABLE_TEXT,
  type OrderCancelled,
  type OrderPaid,
  type OrderPlaced,
  type OrderShipped,
} from '@app/order-domain';
import type { Equal, FromSchema } from './schema-types';

// The data of each event type, one JSON Schema (draft 2020-12) per published version. A reader
// must accept every event a writer of that version ever wrote, so a schema states what readers
// require (the limits the view and the database need), not everything the writer checks.
// Undeclared fields are allowed (tolerant reader); readers copy only the declared ones.
//
// Published versions are frozen: `npm run schemas:check` compares them with the snapshots in
// libs/order-events/schemas/snapshots and refuses a change that old events would fail.

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/** 1 to maxLength printable characters, counted in code points (isPrintableText). */
const printable = <N extends number>(maxLength: N) =>
  ({ type: 'string', pattern: PRINTABLE_TEXT.source, maxLength }) as const;

const anyString = { type: 'string' } as const;

/** Money and quantities: past the safe range a number would be stored wrong. */
const safeInteger = {
  type: 'integer',
  minimum: -Number.MAX_SAFE_INTEGER,
  maximum: Number.MAX_SAFE_INTEGER,
} as const;

export const orderPlacedV1 = {
  $schema: DRAFT_2020_12,
  title: 'OrderPlaced v1',
  type: 'object',
  properties: {
    // An indexed column of the view: a longer id was never written and PostgreSQL refuses one
    // of a few KB.
    customerId: printable(MAX_ID_LENGTH),
    currency: { type: 'string', minLength: 1 },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          sku: printable(MAX_ID_LENGTH),
          quantity: safeInteger,
          unitPrice: safeInteger,
        },
        required: ['sku', 'quantity', 'unitPrice'],
      },
    },
    total: safeInteger,
  },
  required: ['customerId', 'currency', 'items', 'total'],
} as const;

/** v2: the customer may give a shipping address when placing the order. */
export const orderPlacedV2 = {
  ...orderPlacedV1,
  title: 'OrderPlaced v2',
  properties: {
    ...orderPlacedV1.properties,
    shippingAddress: {
      type: 'object',
      properties: {
        recipient: printable(ADDRESS_LIMITS.maxLineLength),
        line1: printable(ADDRESS_LIMITS.maxLineLength),
        line2: printable(ADDRESS_LIMITS.maxLineLength),
        postalCode: printable(ADDRESS_LIMITS.maxPostalCodeLength),
        city: printable(ADDRESS_LIMITS.maxCityLength),
        country: { type: 'string', pattern: COUNTRY_CODE_PATTERN.source },
      },
      required: ['recipient', 'line1', 'postalCode', 'city', 'country'],
    },
  },
} as const;

export const orderPaidV1 = {
  $schema: DRAFT_2020_12,
  title: 'OrderPaid v1',
  type: 'object',
  properties: { amount: safeInteger, paymentReference: anyString },
  required: ['amount', 'paymentReference'],
} as const;

export const orderShippedV1 = {
  $schema: DRAFT_2020_12,
  title: 'OrderShipped v1',
  type: 'object',
  properties: { carrier: anyString, trackingNumber: anyString },
  required: ['carrier', 'trackingNumber'],
} as const;

export const orderCancelledV1 = {
  $schema: DRAFT_2020_12,
  title: 'OrderCancelled v1',
  type: 'object',
  properties: { reason: anyString },
  required: ['reason'],
} as const;

export type OrderPlacedV1Data = FromSchema<typeof orderPlacedV1>;
export type OrderPlacedV2Data = FromSchema<typeof orderPlacedV2>;

type Assert<T extends true> = T;

/**
 * Does not compile when the newest schema of a type and the domain's data type disagree (a
 * field missing on either side, optional on one only, of another type): the domain's events
 * are what writers write, so they must be exactly the newest version.
 */
export type NewestSchemasDescribeTheDomain = [
  Assert<Equal<OrderPlacedV2Data, OrderPlaced['data']>>,
  Assert<Equal<FromSchema<typeof orderPaidV1>, OrderPaid['data']>>,
  Assert<Equal<FromSchema<typeof orderShippedV1>, OrderShipped['data']>>,
  Assert<Equal<FromSchema<typeof orderCancelledV1>, OrderCancelled['data']>>,
];
