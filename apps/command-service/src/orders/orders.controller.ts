import { Body, Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPreconditionFailedResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { entityTag } from '@app/http-platform';
import type { OrderCommand } from '@app/order-domain';
import { timeOrderedUuid } from '@app/order-events';
import { parseIdempotencyKey, parseIfMatch, parseOrderId } from './command-headers';
import { requestFingerprint } from './idempotency-keys';
import {
  OrderCommandHandler,
  type CommandContext,
  type OrderCommandResult,
} from './order-command.handler';
import {
  CancelOrderRequest,
  PayOrderRequest,
  PlaceOrderRequest,
  ShipOrderRequest,
} from './order-requests';

type CommandFields<C> = C extends OrderCommand ? Omit<C, 'orderId' | 'now'> : never;

const idempotencyKeyHeader = ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description: 'A retry with the same key and body returns the first response and appends nothing',
});
const ifMatchHeader = ApiHeader({
  name: 'If-Match',
  required: false,
  description: 'The version ("3") the command is based on: 412 when the order has moved on',
});

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(private readonly handler: OrderCommandHandler) {}

  @Post()
  @idempotencyKeyHeader
  @ApiCreatedResponse({ description: 'Placed: {orderId, version: 1, status: "PLACED", total}' })
  @ApiBadRequestResponse({ description: 'Invalid body (unknown fields too)' })
  async place(
    @Body() body: PlaceOrderRequest,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderCommandResult> {
    const result = await this.run(timeOrderedUuid(), { type: 'PlaceOrder', ...body }, request);
    void reply.status(201).header('location', `/orders/${result.orderId}`);
    return this.answer(result, reply);
  }

  @Post(':id/pay')
  @HttpCode(200)
  @idempotencyKeyHeader
  @ifMatchHeader
  @ApiOkResponse({ description: '{orderId, version, status: "PAID"}' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The order is not PLACED' })
  @ApiPreconditionFailedResponse({ description: 'If-Match names an older version' })
  @ApiUnprocessableEntityResponse({ description: 'The amount is not the order total' })
  async pay(
    @Param('id') id: string,
    @Body() body: PayOrderRequest,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderCommandResult> {
    return this.answer(await this.run(id, { type: 'PayOrder', ...body }, request), reply);
  }

  @Post(':id/ship')
  @HttpCode(200)
  @idempotencyKeyHeader
  @ifMatchHeader
  @ApiOkResponse({ description: '{orderId, version, status: "SHIPPED"}' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The order is not PAID' })
  @ApiPreconditionFailedResponse({ description: 'If-Match names an older version' })
  async ship(
    @Param('id') id: string,
    @Body() body: ShipOrderRequest,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderCommandResult> {
    return this.answer(await this.run(id, { type: 'ShipOrder', ...body }, request), reply);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @idempotencyKeyHeader
  @ifMatchHeader
  @ApiOkResponse({ description: '{orderId, version, status: "CANCELLED"}' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The order is SHIPPED or already CANCELLED' })
  @ApiPreconditionFailedResponse({ description: 'If-Match names an older version' })
  async cancel(
    @Param('id') id: string,
    @Body() body: CancelOrderRequest,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderCommandResult> {
    return this.answer(await this.run(id, { type: 'CancelOrder', ...body }, request), reply);
  }

  private run(
    orderId: string,
    fields: CommandFields<OrderCommand>,
    request: FastifyRequest,
  ): Promise<OrderCommandResult> {
    const command = { ...fields, orderId: parseOrderId(orderId), now: new Date() } as OrderCommand;
    const key = parseIdempotencyKey(request.headers['idempotency-key']);
    const context: CommandContext = {
      correlationId: request.id,
      expectedVersion:
        fields.type === 'PlaceOrder' ? undefined : parseIfMatch(request.headers['if-match']),
      idempotency: key
        ? {
            key,
            fingerprint: requestFingerprint(request.method, request.url, request.body),
          }
        : undefined,
    };
    return this.handler.execute(command, context);
  }

  private answer(result: OrderCommandResult, reply: FastifyReply): OrderCommandResult {
    void reply.header('etag', entityTag(result.version));
    return result;
  }
}
