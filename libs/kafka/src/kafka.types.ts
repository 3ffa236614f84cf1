/** The module's own record types: apps never see kafkajs's. */

export interface OutgoingRecord {
  /** The entity id: all records of one entity land in one partition, in order. */
  key: string;
  value: string | Buffer;
  headers?: Record<string, string>;
}

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are 64-bit: kept as decimal strings. */
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  /** Made when first read (reliable-consumer.ts): a record is never given other headers. */
  readonly headers: Record<string, string>;
  /** Milliseconds since the epoch, as the producer or broker stamped it. */
  readonly timestamp: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read. */
  offset: string;
}
