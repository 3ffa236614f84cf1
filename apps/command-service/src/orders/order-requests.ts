import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsObject,
  IsString,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import {
  ADDRESS_LIMITS,
  COUNTRY_CODE_PATTERN,
  MAX_ID_LENGTH,
  ORDER_LIMITS,
  PRINTABLE_TEXT,
} from '@app/order-domain';

const MAX_REASON_LENGTH = 500;

const printable = { message: '$property must be printable text (no control characters)' };

function Text(
  maxLength: number,
  description: string,
  example: string,
  { optional = false } = {},
): PropertyDecorator {
  return (target, key) => {
    // Not IsOptional, which lets null through: an optional field is absent or valid.
    if (optional) Optional()(target, key);
    IsString()(target, key);
    // Counted in code points, as the event schemas (Ajv) and isPrintableText count: class-validator's
    // Length skips variation selectors, so it would accept text the stored event then fails.
    ValidateBy({
      name: 'codePointLength',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && lengthBetween(value, 1, maxLength),
        defaultMessage: () => `$property must be 1 to ${maxLength} characters long`,
      },
    })(target, key);
    Matches(PRINTABLE_TEXT, printable)(target, key);
    ApiProperty({ description, example, minLength: 1, maxLength, required: !optional })(
      target,
      key,
    );
  };
}

function lengthBetween(value: string, min: number, max: number): boolean {
  const codePoints = [...value].length;
  return codePoints >= min && codePoints <= max;
}

/** Validated only when present; null is a value, and refused like any other wrong one. */
function Optional(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

export class ShippingAddressRequest {
  @Text(ADDRESS_LIMITS.maxLineLength, 'Who receives the parcel', 'Ada Lovelace')
  recipient!: string;

  @Text(ADDRESS_LIMITS.maxLineLength, 'Street and number', 'Unter den Linden 1')
  line1!: string;

  @Text(ADDRESS_LIMITS.maxLineLength, 'Flat, floor, care of', '3rd floor', { optional: true })
  line2?: string;

  @Text(ADDRESS_LIMITS.maxPostalCodeLength, 'Postal code', '10117')
  postalCode!: string;

  @Text(ADDRESS_LIMITS.maxCityLength, 'City', 'Berlin')
  city!: string;

  @IsString()
  @Matches(COUNTRY_CODE_PATTERN, {
    message: 'country must be an ISO 3166-1 alpha-2 code of 2 uppercase letters',
  })
  @ApiProperty({ description: 'ISO 3166-1 alpha-2', example: 'DE', pattern: '^[A-Z]{2}$' })
  country!: string;
}

export class OrderItemRequest {
  @Text(MAX_ID_LENGTH, 'Stock keeping unit', 'SKU-42')
  sku!: string;

  @IsInt()
  @Min(ORDER_LIMITS.minQuantity)
  @Max(ORDER_LIMITS.maxQuantity)
  @ApiProperty({ minimum: ORDER_LIMITS.minQuantity, maximum: ORDER_LIMITS.maxQuantity, example: 2 })
  quantity!: number;

  @IsInt()
  @Min(ORDER_LIMITS.minUnitPrice)
  @Max(ORDER_LIMITS.maxUnitPrice)
  @ApiProperty({
    description: 'Minor units of the order currency (cents)',
    minimum: ORDER_LIMITS.minUnitPrice,
    maximum: ORDER_LIMITS.maxUnitPrice,
    example: 1250,
  })
  unitPrice!: number;
}

export class PlaceOrderRequest {
  @Text(MAX_ID_LENGTH, 'The customer placing the order', 'customer-7')
  customerId!: string;

  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code of 3 uppercase letters' })
  @ApiProperty({ description: 'ISO 4217 code', example: 'EUR', pattern: '^[A-Z]{3}$' })
  currency!: string;

  @IsArray()
  @ArrayMinSize(ORDER_LIMITS.minItems)
  @ArrayMaxSize(ORDER_LIMITS.maxItems)
  @IsObject({ each: true, message: 'each of items must be an object' })
  @ValidateNested({ each: true })
  @Type(() => OrderItemRequest)
  @ApiProperty({
    type: [OrderItemRequest],
    minItems: ORDER_LIMITS.minItems,
    maxItems: ORDER_LIMITS.maxItems,
  })
  items!: OrderItemRequest[];

  @Optional()
  @IsObject({ message: 'shippingAddress must be an object' })
  @ValidateNested()
  @Type(() => ShippingAddressRequest)
  @ApiPropertyOptional({
    type: ShippingAddressRequest,
    description: 'Where to deliver; recorded in OrderPlaced v2 and shown by the query-service',
  })
  shippingAddress?: ShippingAddressRequest;
}

export class PayOrderRequest {
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  @ApiProperty({ description: 'Minor units; must equal the order total', example: 2500 })
  amount!: number;

  @Text(MAX_ID_LENGTH, "The payment provider's reference", 'pay_123')
  paymentReference!: string;
}

export class ShipOrderRequest {
  @Text(MAX_ID_LENGTH, 'Carrier name', 'DHL')
  carrier!: string;

  @Text(MAX_ID_LENGTH, "The carrier's tracking number", '00340434161094042557')
  trackingNumber!: string;
}

export class CancelOrderRequest {
  @Text(MAX_REASON_LENGTH, 'Why the order is cancelled', 'customer request')
  reason!: string;
}
