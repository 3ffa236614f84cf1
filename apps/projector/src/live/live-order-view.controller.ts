import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { KafkaBatchContext, KafkaBatchItem } from '@app/kafka';
import type { OrderEventEnvelope } from '@app/order-events';
import { LiveOrderViewHandler } from './live-order-view.handler';

/**
 * The pattern of the order events: a logical name, bound to the configured topic
 * (`ORDER_EVENTS_TOPIC`) by the transport's `topics` (ProjectorModule).
 */
export const ORDER_EVENTS = 'order-events';

/**
 * The live projection's Kafka entry (ReliableKafkaServer, the projector being a hybrid app): one
 * call per partition batch, which the transport commits once this resolved. Its offsets are
 * stored with the view rows by the same transaction, and the transport resumes from them.
 */
@Controller()
export class LiveOrderViewController {
  constructor(private readonly live: LiveOrderViewHandler) {}

  @EventPattern(ORDER_EVENTS, { batch: true })
  project(
    @Payload() items: KafkaBatchItem<OrderEventEnvelope>[],
    @Ctx() batch: KafkaBatchContext,
  ): Promise<void> {
    return this.live.handleBatch({
      topic: batch.getTopic(),
      partition: batch.getPartition(),
      items,
      nextOffset: batch.getNextOffset(),
    });
  }
}
