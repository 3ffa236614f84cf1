import { BaseRpcContext } from '@nestjs/microservices';
import type { ConsumedRecord } from './kafka.types';

/** One decoded record of a batch: what `@Payload()` of a batch handler is an array of. */
export interface KafkaBatchItem<T> {
  record: ConsumedRecord;
  value: T;
}

/** Where a batch sits in its partition, and how to talk to the group while handling it. */
export interface KafkaBatchInfo {
  topic: string;
  partition: number;
  /** Offsets of the batch's first and last decoded records; null for a batch with no items. */
  firstOffset: string | null;
  lastOffset: string | null;
  /** The offset after the batch: store it with the results (it is what gets committed). */
  nextOffset: string;
  highWatermark: string;
  heartbeat: () => Promise<void>;
}

/**
 * The `@Ctx()` of a `ReliableKafkaServer` batch handler: one partition's batch. A handler may be
 * called with no items (to store `nextOffset` past records that went to the dead-letter topic)
 * and, while the consumer isolates a record that keeps failing, with parts of a batch.
 */
export class KafkaBatchContext extends BaseRpcContext<[KafkaBatchInfo]> {
  constructor(info: KafkaBatchInfo) {
    super([info]);
  }

  get info(): KafkaBatchInfo {
    return this.args[0];
  }

  getTopic(): string {
    return this.info.topic;
  }

  getPartition(): number {
    return this.info.partition;
  }

  getFirstOffset(): string | null {
    return this.info.firstOffset;
  }

  getLastOffset(): string | null {
    return this.info.lastOffset;
  }

  /** What to store as "read up to" together with the batch's results. */
  getNextOffset(): string {
    return this.info.nextOffset;
  }

  getHighWatermark(): string {
    return this.info.highWatermark;
  }

  /**
   * A heartbeat now; it rejects once the batch is no longer this member's. The consumer already
   * heartbeats on its own while the handler runs.
   */
  heartbeat(): Promise<void> {
    return this.info.heartbeat();
  }
}
