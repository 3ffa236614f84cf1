import type { Kafka } from 'kafkajs';
import { KafkaMetrics } from '../kafka.metrics';
import type { ProducerSettings } from '../producer-settings';
import { ReliableProducer, type ReliableProducerOptions } from '../reliable-producer';
import type { OutgoingRecord } from '../kafka.types';
import { PlatformaticReliableProducer } from './platformatic-reliable-producer';

/** What the spike's int-specs need of a producer: ReliableProducer's public surface. */
export interface ProducerUnderTest {
  connect(): Promise<void>;
  send(topic: string, records: OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
  readonly problems: string[];
}

/**
 * SPIKE_PRODUCER=kafkajs runs the same specs against the current ReliableProducer (the control);
 * the default is the @platformatic/kafka spike.
 */
export const PRODUCER_UNDER_TEST = (process.env.SPIKE_PRODUCER ?? 'platformatic') as
  'platformatic' | 'kafkajs';

export function makeProducer(
  kafka: Kafka,
  brokers: string[],
  settings: ProducerSettings,
  metrics: KafkaMetrics = new KafkaMetrics(),
  options: ReliableProducerOptions = {},
): ProducerUnderTest {
  return PRODUCER_UNDER_TEST === 'kafkajs'
    ? new ReliableProducer(kafka, settings, metrics, options)
    : new PlatformaticReliableProducer({ brokers }, settings, metrics, options);
}
