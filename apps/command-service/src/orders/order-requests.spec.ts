import { ApiError } from '@app/http-platform';
// The pipe every app installs (PlatformModule); not part of the lib's surface.
import { RequestValidationPipe } from '@app/http-platform';
import { PlaceOrderRequest } from './order-requests';

const order = {
  customerId: 'customer-1',
  currency: 'EUR',
  items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 100 }],
};
const address = {
  recipient: 'Ada Lovelace',
  line1: 'Unter den Linden 1',
  postalCode: '10117',
  city: 'Berlin',
  country: 'DE',
};

const pipe = new RequestValidationPipe();
const validate = (body: unknown) =>
  pipe.transform(body, { type: 'body', metatype: PlaceOrderRequest });

describe('PlaceOrderRequest: the shipping address', () => {
  it.each([
    ['no address', order],
    ['an address', { ...order, shippingAddress: address }],
    ['an address with line2', { ...order, shippingAddress: { ...address, line2: '3rd floor' } }],
  ])('accepts %s', async (_case, body) => {
    await expect(validate(body)).resolves.toMatchObject(body);
  });

  it.each<[string, unknown, RegExp]>([
    ['null', null, /shippingAddress must be an object/],
    ['a string', 'Unter den Linden 1, Berlin', /shippingAddress must be an object/],
    ['without a city', { ...address, city: undefined }, /shippingAddress\.city/],
    ['with a lower-case country', { ...address, country: 'de' }, /country must be an ISO 3166-1/],
    ['with line2 null', { ...address, line2: null }, /shippingAddress\.line2/],
    ['with a 101-character line1', { ...address, line1: 'x'.repeat(101) }, /line1/],
    ['with a control character', { ...address, recipient: 'Ada\u0007' }, /recipient/],
    ['with an unknown field', { ...address, floor: 3 }, /floor should not exist/],
  ])(
    'refuses an address that is %s: 400 VALIDATION_FAILED',
    async (_case, shippingAddress, why) => {
      const refusal: unknown = await validate({ ...order, shippingAddress }).catch(
        (e: unknown) => e,
      );

      expect(refusal).toBeInstanceOf(ApiError);
      expect(refusal).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      expect((refusal as ApiError).message).toMatch(why);
    },
  );
});
