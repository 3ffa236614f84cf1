import { Counter, Gauge, Registry } from 'prom-client';

/** Kafka counters for /metrics; a private registry when the app gives none (scripts, tests). */
export class KafkaMetrics {
  readonly recordsSent: Counter<'topic'>;
  readonly recordsFailed: Counter<'topic'>;
  readonly recordsRetried: Counter<'topic'>;
  readonly recordsProcessed: Counter<'group' | 'topic'>;
  readonly recordsDeadLettered: Counter<'group' | 'topic'>;
  readonly consumerRestarts: Counter<'group'>;
  /** End offset (high watermark) minus the group's committed offset, per partition. */
  readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>;

  constructor(registry: Registry = new Registry()) {
    const registers = [registry];
    this.recordsSent = new Counter({
      name: 'kafka_producer_records_sent_total',
      help: 'Records acknowledged by all in-sync replicas',
      labelNames: ['topic'],
      registers,
    });
    this.recordsFailed = new Counter({
      name: 'kafka_producer_records_failed_total',
      help: 'Records whose send failed or timed out (not acknowledged)',
      labelNames: ['topic'],
      registers,
    });
    this.recordsRetried = new Counter({
      name: 'kafka_producer_records_retried_total',
      help: 'Records sent again after a retriable failure',
      labelNames: ['topic'],
      registers,
    });
    this.recordsProcessed = new Counter({
      name: 'kafka_consumer_records_processed_total',
      help: 'Records handled and committed',
      labelNames: ['group', 'topic'],
      registers,
    });
    this.recordsDeadLettered = new Counter({
      name: 'kafka_consumer_records_dead_lettered_total',
      help: 'Records moved to the dead-letter topic: undecodable, or refused by the handler on their own',
      labelNames: ['group', 'topic'],
      registers,
    });
    this.consumerRestarts = new Counter({
      name: 'kafka_consumer_restarts_total',
      help: 'Consumers started anew after kafkajs stopped on an error (an eviction, a crash)',
      labelNames: ['group'],
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'kafka_consumer_lag',
      help: 'High watermark minus committed offset',
      labelNames: ['group', 'topic', 'partition'],
      registers,
    });
  }
}
