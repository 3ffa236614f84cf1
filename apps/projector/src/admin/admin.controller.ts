import { Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiError } from '@app/http-platform';
import { OrderViewRepository } from '../persistence/order-view.repository';
import { ParkedEventRepository } from '../persistence/parked-event.repository';
import { OrderViewReplays } from '../replay/order-view-replays';
import { OrderViewWriter, type ParkedResolution } from '../view/order-view-writer';
import { AdminTokenGuard } from './admin-token.guard';
import { ProjectionStatusReader, type ProjectionStatus } from './projection-status';

const PARKED_LIST_LIMIT = 500;
const MAX_ORDER_ID_LENGTH = 1_000;

@ApiTags('admin')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'No bearer token' })
@ApiForbiddenResponse({ description: 'Wrong bearer token' })
@UseGuards(AdminTokenGuard)
@Controller('admin')
export class AdminController {
  constructor(
    private readonly view: OrderViewRepository,
    private readonly parkedEvents: ParkedEventRepository,
    private readonly replays: OrderViewReplays,
    private readonly status: ProjectionStatusReader,
    private readonly writer: OrderViewWriter,
  ) {}

  @Post('projections/order-view/replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: '{replayId, status, generation}: rebuilding from offset 0' })
  @ApiConflictResponse({ description: 'A replay is already running' })
  async replay(): Promise<{ replayId: string; status: string; generation: number }> {
    const replay = await this.replays.start();
    return { replayId: replay.replayId, status: replay.status, generation: replay.generation };
  }

  @Delete('projections/order-view/replay')
  @HttpCode(200)
  @ApiOkResponse({ description: '{replayId, status: "cancelled"}: its generation is deleted' })
  @ApiNotFoundResponse({ description: 'No replay is running' })
  async cancelReplay(): Promise<{ replayId: string; status: string }> {
    const replay = await this.replays.cancel();
    return { replayId: replay.replayId, status: replay.status };
  }

  @Get('projections/order-view')
  @ApiOkResponse({
    description: 'live or rebuilding, generation, lag per partition, replay progress',
  })
  projection(): Promise<ProjectionStatus> {
    return this.status.read();
  }

  @Get('parked')
  @ApiOkResponse({
    description:
      'Parked events of the current generation, open ones first, at most 500 (`truncated` when there are more)',
  })
  async parked(@Query() query: Record<string, unknown>) {
    if (Object.keys(query).length > 0) {
      throw new ApiError(400, 'VALIDATION_FAILED', 'GET /admin/parked takes no parameters');
    }
    const generation = await this.view.currentGeneration();
    // One more than shown says whether there are more than shown.
    const events = await this.parkedEvents.list(generation, PARKED_LIST_LIMIT + 1);
    return {
      generation,
      items: events.slice(0, PARKED_LIST_LIMIT),
      truncated: events.length > PARKED_LIST_LIMIT,
    };
  }

  @Post('parked/:orderId/retry')
  @HttpCode(200)
  @ApiOkResponse({ description: '{orderId, version, applied, skipped, stillParked}' })
  @ApiNotFoundResponse({ description: 'The order has no parked events' })
  retry(@Param('orderId') orderId: string): Promise<ParkedResolution> {
    return this.writer.resolveParked(checkedOrderId(orderId), 'retry');
  }

  @Post('parked/:orderId/skip')
  @HttpCode(200)
  @ApiOkResponse({ description: 'The first parked event skipped, the rest retried' })
  @ApiNotFoundResponse({ description: 'The order has no parked events' })
  skip(@Param('orderId') orderId: string): Promise<ParkedResolution> {
    return this.writer.resolveParked(checkedOrderId(orderId), 'skip');
  }
}

/** Any id the projector could have parked (the envelope allows more than the command-service makes). */
function checkedOrderId(orderId: string): string {
  if (
    orderId.length === 0 ||
    orderId.length > MAX_ORDER_ID_LENGTH ||
    [...orderId].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f) ||
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(orderId)
  ) {
    throw new ApiError(400, 'INVALID_ORDER_ID', 'Not an order id');
  }
  return orderId;
}
