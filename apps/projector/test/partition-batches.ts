import type { OrderEventEnvelope } from '@app/order-events';
import { orderHistory, type OrderPath } from '../../../test/fixtures/order-histories';
import type { PartitionBatch } from '../src/view/order-view-writer';

export const TOPIC = 'order-events';

/** `events` as partition 0's batch starting at offset `from`. */
export function batchOf(events: OrderEventEnvelope[], from = 0): PartitionBatch {
  return {
    topic: TOPIC,
    partition: 0,
    events: events.map((envelope, index) => ({
      topic: TOPIC,
      partition: 0,
      offset: String(from + index),
      envelope,
    })),
    nextOffset: String(from + events.length),
  };
}

/** `count` orders of `path`, each one's events in order, interleaved as on a topic. */
export function interleaved(prefix: string, count: number, path: OrderPath): OrderEventEnvelope[] {
  const histories = Array.from({ length: count }, (_, index) =>
    orderHistory(`${prefix}-${index}`, path),
  );
  return histories[0].flatMap((_, step) => histories.map((history) => history[step]));
}
