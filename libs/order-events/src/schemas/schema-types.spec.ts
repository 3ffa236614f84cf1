import type { OrderPlaced } from '@app/order-domain';
import type { OrderPlacedV1Data, OrderPlacedV2Data, orderPlacedV2 } from './order-event.schemas';
import type { Equal, FromSchema } from './schema-types';

// These assertions are checked by the compiler (npm run typecheck), not by Jest: each constant
// only compiles when Equal gives the value written. They prove the drift check
// (NewestSchemasDescribeTheDomain) can fail.

type WithTotalAsText = Omit<OrderPlaced['data'], 'total'> & { readonly total: string };
type WithRequiredAddress = OrderPlaced['data'] & {
  readonly shippingAddress: NonNullable<OrderPlaced['data']['shippingAddress']>;
};
type WithoutCurrency = Omit<OrderPlaced['data'], 'currency'>;

const matches: Equal<OrderPlacedV2Data, OrderPlaced['data']> = true;
const fieldOfAnotherType: Equal<OrderPlacedV2Data, WithTotalAsText> = false;
const optionalOnOneSideOnly: Equal<OrderPlacedV2Data, WithRequiredAddress> = false;
const fieldMissing: Equal<OrderPlacedV2Data, WithoutCurrency> = false;
const olderVersion: Equal<OrderPlacedV1Data, OrderPlaced['data']> = false;
const required: Equal<
  FromSchema<{ type: 'object'; properties: typeof orderPlacedV2.properties; required: [] }>,
  Partial<OrderPlaced['data']>
> = true;

describe('FromSchema and Equal', () => {
  it('tell a schema that matches the domain type from one that drifted', () => {
    expect([
      matches,
      fieldOfAnotherType,
      optionalOnOneSideOnly,
      fieldMissing,
      olderVersion,
    ]).toEqual([true, false, false, false, false]);
    expect(required).toBe(true);
  });
});
