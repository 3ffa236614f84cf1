import { Logger, Module, type DynamicModule } from '@nestjs/common';
import type { KafkaOptions } from './kafka.config';
import { KAFKA_OPTIONS, KafkaConnection } from './kafka-connection';
import { KafkaReadinessCheck } from './kafka.readiness';

@Module({})
export class KafkaModule {
  static forRoot(options: KafkaOptions): DynamicModule {
    if (options.durability === 'relaxed') {
      new Logger('KafkaModule').warn(
        'KAFKA_DURABILITY=relaxed: replication and min.insync.replicas are not enforced. Never use this outside a single-broker laptop.',
      );
    }
    return {
      module: KafkaModule,
      global: true,
      providers: [
        { provide: KAFKA_OPTIONS, useValue: options },
        KafkaConnection,
        KafkaReadinessCheck,
      ],
      exports: [KafkaConnection, KafkaReadinessCheck],
    };
  }
}
