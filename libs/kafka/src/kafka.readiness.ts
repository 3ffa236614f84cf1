import { Injectable } from '@nestjs/common';
import type { ReadinessCheck, ReadinessResult } from '@app/http-platform';
import { KafkaConnection } from './kafka-connection';

@Injectable()
export class KafkaReadinessCheck implements ReadinessCheck {
  readonly name = 'kafka';

  constructor(private readonly kafka: KafkaConnection) {}

  async check(): Promise<ReadinessResult> {
    const brokers = await this.kafka.brokerIds();
    if (brokers.length === 0) throw new Error('the cluster reports no brokers');
    return this.kafka.options.durability === 'relaxed'
      ? { warning: 'KAFKA_DURABILITY=relaxed: topic durability is not enforced' }
      : {};
  }
}
