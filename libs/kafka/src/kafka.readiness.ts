import { Injectable } from '@nestjs/common';
import type { ReadinessCheck, ReadinessResult } from '@app/http-platform';
import { KafkaClient } from './kafka-client';

@Injectable()
export class KafkaReadinessCheck implements ReadinessCheck {
  readonly name = 'kafka';

  constructor(private readonly kafka: KafkaClient) {}

  async check(): Promise<ReadinessResult> {
    const brokers = await this.kafka.brokerIds();
    if (brokers.length === 0) throw new Error('the cluster reports no brokers');
    const warnings = this.kafka.durabilityWarnings;
    return warnings.length > 0 ? { warning: warnings.join('; ') } : {};
  }
}
