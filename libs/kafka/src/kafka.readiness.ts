import { Injectable } from '@nestjs/common';
import type { ReadinessCheck, ReadinessResult } from '@app/http-platform';
import { KafkaClient } from './kafka-client';
import { ReliableProducer } from './reliable-producer';

@Injectable()
export class KafkaReadinessCheck implements ReadinessCheck {
  readonly name = 'kafka';

  constructor(
    private readonly kafka: KafkaClient,
    private readonly producer: ReliableProducer,
  ) {}

  async check(): Promise<ReadinessResult> {
    const brokers = await this.kafka.brokerIds();
    if (brokers.length === 0) throw new Error('the cluster reports no brokers');
    const consumers = this.kafka.consumerStatuses;
    const problems = [
      ...consumers
        .filter((consumer) => !consumer.consuming)
        .map((consumer) => `consumer group ${consumer.group}: ${consumer.reason}`),
      ...this.producer.problems,
    ];
    if (problems.length > 0) throw new Error(problems.join('; '));
    const warnings = this.kafka.durabilityWarnings;
    return {
      ...(warnings.length > 0 && { warning: warnings.join('; ') }),
      ...(consumers.length > 0 && { details: { consumers } }),
    };
  }
}
