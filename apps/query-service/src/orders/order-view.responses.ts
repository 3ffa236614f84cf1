import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ORDER_VIEW_STATUSES as ORDER_STATUSES, type OrderViewStatus } from '@app/order-view';

/**
 * Response shapes, for the OpenAPI document and for types. The projector writes the document;
 * the query-service passes it through unchanged.
 */
export class OrderViewItem {
  @ApiProperty({ example: 'SKU-42' })
  sku!: string;

  @ApiProperty({ example: 2 })
  quantity!: number;

  @ApiProperty({ description: 'Minor units of the order currency (cents)', example: 1250 })
  unitPrice!: number;
}

export class OrderViewShippingAddress {
  @ApiProperty({ example: 'Ada Lovelace' })
  recipient!: string;

  @ApiProperty({ example: 'Unter den Linden 1' })
  line1!: string;

  @ApiPropertyOptional({ example: '3rd floor' })
  line2?: string;

  @ApiProperty({ example: '10117' })
  postalCode!: string;

  @ApiProperty({ example: 'Berlin' })
  city!: string;

  @ApiProperty({ description: 'ISO 3166-1 alpha-2', example: 'DE' })
  country!: string;
}

export class OrderViewPayment {
  @ApiProperty({ description: 'Minor units', example: 2500 })
  amount!: number;

  @ApiProperty({ example: 'pay_123' })
  paymentReference!: string;
}

export class OrderViewShipment {
  @ApiProperty({ example: 'DHL' })
  carrier!: string;

  @ApiProperty({ example: '00340434161094042557' })
  trackingNumber!: string;
}

export class OrderViewCancellation {
  @ApiProperty({ example: 'customer request' })
  reason!: string;
}

const instant = (description: string) => ({
  description: `${description} (ISO 8601, UTC)`,
  format: 'date-time',
});

export class OrderView {
  @ApiProperty({ example: '019ad8a2-5c3e-7a55-9a8e-1f2d3c4b5a69' })
  orderId!: string;

  @ApiProperty({ example: 'customer-7' })
  customerId!: string;

  @ApiProperty({ enum: ORDER_STATUSES })
  status!: OrderViewStatus;

  @ApiProperty({ description: 'ISO 4217 code', example: 'EUR' })
  currency!: string;

  @ApiProperty({ type: [OrderViewItem] })
  items!: OrderViewItem[];

  @ApiProperty({ description: 'Minor units', example: 2500 })
  total!: number;

  @ApiPropertyOptional({
    type: OrderViewShippingAddress,
    description: 'As given when the order was placed; absent when none was',
  })
  shippingAddress?: OrderViewShippingAddress;

  @ApiProperty({ description: 'The version of the last event applied; also the ETag', example: 2 })
  version!: number;

  @ApiProperty(instant('When the order was placed'))
  placedAt!: string;

  @ApiPropertyOptional(instant('When it was paid'))
  paidAt?: string;

  @ApiPropertyOptional(instant('When it was shipped'))
  shippedAt?: string;

  @ApiPropertyOptional(instant('When it was cancelled'))
  cancelledAt?: string;

  @ApiPropertyOptional({ type: OrderViewPayment })
  payment?: OrderViewPayment;

  @ApiPropertyOptional({ type: OrderViewShipment })
  shipment?: OrderViewShipment;

  @ApiPropertyOptional({ type: OrderViewCancellation })
  cancellation?: OrderViewCancellation;

  @ApiProperty(instant('When the last event applied occurred'))
  updatedAt!: string;
}

export class OrderPage {
  @ApiProperty({ type: [OrderView], description: 'Newest first' })
  items!: OrderView[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as cursor for the next page; null on the last page',
  })
  nextCursor!: string | null;
}

export class OrderHistoryEntry {
  @ApiProperty({ example: '019ad8a2-5c41-7d5e-8f60-9c0d1e2f3a4b' })
  eventId!: string;

  @ApiProperty({
    description: 'OrderPlaced, OrderPaid, OrderShipped or OrderCancelled',
    example: 'OrderPaid',
  })
  type!: string;

  @ApiProperty({ description: "The event's version: 1, 2, … for the order", example: 2 })
  version!: number;

  @ApiProperty(instant('When it occurred'))
  occurredAt!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "The event's data, in the newest schema version of its type",
    example: { amount: 2500, paymentReference: 'pay_123' },
  })
  data!: Record<string, unknown>;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The X-Correlation-Id of the request that led to it',
  })
  correlationId!: string | null;
}

export class OrderHistoryPage {
  @ApiProperty({
    type: [OrderHistoryEntry],
    description: 'In version order: the events the view applied',
  })
  items!: OrderHistoryEntry[];

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Pass as cursor for the next page (the version of the last item); null on the last page',
  })
  nextCursor!: string | null;
}

export class ErrorResponse {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ description: 'A stable code to branch on', example: 'VALIDATION_FAILED' })
  error!: string;

  @ApiProperty()
  message!: string;

  @ApiPropertyOptional({ type: [String] })
  details?: string[];
}

export class ViewBehindResponse {
  @ApiProperty({ example: 503 })
  statusCode!: 503;

  @ApiProperty({ example: 'VIEW_BEHIND' })
  error!: 'VIEW_BEHIND';

  @ApiProperty()
  message!: string;

  @ApiProperty()
  orderId!: string;

  @ApiProperty({ description: 'The version the view has; 0 when the order is not in it yet' })
  currentVersion!: number;
}
