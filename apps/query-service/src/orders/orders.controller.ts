import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ApiError,
  digestTag,
  entityTag,
  ifNoneMatchMatches,
  ifNoneMatchNames,
} from '@app/http-platform';
import { parseOrderId } from './order-id';
import { OrderQueryHandler, type OrderLookup } from './order-query.handler';
import {
  GET_ORDER_PARAMS,
  GetOrderParams,
  LIST_ORDERS_PARAMS,
  ListOrdersParams,
  ORDER_HISTORY_PARAMS,
  OrderHistoryParams,
  refuseUnknownParams,
} from './order-query-params';
import {
  ErrorResponse,
  OrderHistoryPage,
  OrderPage,
  OrderView,
  ViewBehindResponse,
} from './order-view.responses';

/** A 503 VIEW_BEHIND is worth retrying after this many seconds. */
const RETRY_AFTER_SECONDS = '1';

const BEHIND_MESSAGES: Record<Extract<OrderLookup, { kind: 'behind' }>['reason'], string> = {
  timeout: 'The view has not reached minVersion yet; retry later',
  regressed: 'The view has not reached minVersion yet; retry later',
  overloaded: 'Too many requests are waiting for the view; retry later',
  closing: 'The service is shutting down; retry',
  aborted: 'The request was abandoned',
};

const etagHeader = {
  ETag: { description: 'The order version, quoted: "3"', schema: { type: 'string' } },
};

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(private readonly handler: OrderQueryHandler) {}

  @Get()
  @ApiOkResponse({ type: OrderPage, description: 'Newest first (placedAt, then orderId)' })
  @ApiBadRequestResponse({
    type: ErrorResponse,
    description: 'VALIDATION_FAILED (bad or unknown parameter), INVALID_CURSOR',
  })
  @ApiServiceUnavailableResponse({ type: ErrorResponse, description: 'DATABASE_UNAVAILABLE' })
  list(@Query() params: ListOrdersParams, @Req() request: FastifyRequest): Promise<OrderPage> {
    refuseUnknownParams(request.url, LIST_ORDERS_PARAMS);
    return this.handler.list(params);
  }

  @Get(':id')
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    description: 'Versions the client has ("3", W/"3", lists, *): 304 when one is current',
  })
  @ApiOkResponse({ type: OrderView, headers: etagHeader })
  @ApiResponse({
    status: 304,
    description: 'If-None-Match names the current version',
    headers: etagHeader,
  })
  @ApiBadRequestResponse({
    type: ErrorResponse,
    description: 'INVALID_ORDER_ID, VALIDATION_FAILED (bad or unknown parameter)',
  })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'ORDER_NOT_FOUND (without minVersion)' })
  @ApiServiceUnavailableResponse({
    type: ViewBehindResponse,
    description:
      'VIEW_BEHIND: minVersion not reached within waitMs (or too many waiting); ' +
      'DATABASE_UNAVAILABLE has the error body without orderId/currentVersion',
    headers: { 'Retry-After': { description: 'Seconds', schema: { type: 'string' } } },
  })
  async get(
    @Param('id') id: string,
    @Query() params: GetOrderParams,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderView | ViewBehindResponse | undefined> {
    const orderId = parseOrderId(id);
    refuseUnknownParams(request.url, GET_ORDER_PARAMS);
    const lookup = await this.handler.get(orderId, params, this.clientGone(params, reply));
    switch (lookup.kind) {
      case 'found': {
        const { version, document } = lookup.row;
        // Caches may keep the order but must ask again: the ETag makes that a cheap 304.
        void reply.header('etag', entityTag(version)).header('cache-control', 'no-cache');
        if (ifNoneMatchMatches(request.headers['if-none-match'], version)) {
          void reply.status(304);
          return undefined;
        }
        return document;
      }
      case 'not_found':
        throw new ApiError(404, 'ORDER_NOT_FOUND', `Order ${orderId} is not in the view`);
      case 'behind':
        void reply.status(503).header('retry-after', RETRY_AFTER_SECONDS);
        return {
          statusCode: 503,
          error: 'VIEW_BEHIND',
          message: BEHIND_MESSAGES[lookup.reason],
          orderId,
          currentVersion: lookup.currentVersion,
        };
    }
  }

  @Get(':id/history')
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    description: 'The ETag of a page the client has: 304 while the page is the same',
  })
  @ApiOkResponse({
    type: OrderHistoryPage,
    description: 'The events the view applied, in version order',
    headers: {
      ETag: { description: 'A digest of the page, quoted', schema: { type: 'string' } },
    },
  })
  @ApiResponse({ status: 304, description: 'If-None-Match names the current page' })
  @ApiBadRequestResponse({
    type: ErrorResponse,
    description: 'INVALID_ORDER_ID, INVALID_CURSOR, VALIDATION_FAILED (bad or unknown parameter)',
  })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'ORDER_NOT_FOUND' })
  @ApiServiceUnavailableResponse({ type: ErrorResponse, description: 'DATABASE_UNAVAILABLE' })
  async history(
    @Param('id') id: string,
    @Query() params: OrderHistoryParams,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | undefined> {
    const orderId = parseOrderId(id);
    refuseUnknownParams(request.url, ORDER_HISTORY_PARAMS);
    const page = await this.handler.history(orderId, params);
    if (!page) throw new ApiError(404, 'ORDER_NOT_FOUND', `Order ${orderId} is not in the view`);
    // Serialized once: the tag is the digest of the very text sent.
    const text = JSON.stringify(page);
    const tag = digestTag(text);
    void reply.header('etag', tag).header('cache-control', 'no-cache');
    if (ifNoneMatchNames(request.headers['if-none-match'], tag)) {
      void reply.status(304);
      return undefined;
    }
    void reply.header('content-type', 'application/json; charset=utf-8');
    return text;
  }

  /** Aborts when the client disconnects before the answer, so its waiter is dropped at once. */
  private clientGone(params: GetOrderParams, reply: FastifyReply): AbortSignal | undefined {
    if (params.minVersion === undefined) return undefined;
    const controller = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) controller.abort();
    });
    return controller.signal;
  }
}
