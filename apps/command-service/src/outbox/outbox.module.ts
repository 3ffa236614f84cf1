import { Module, type DynamicModule } from '@nestjs/common';
import type { OutboxRelayOptions } from './outbox.config';
import { OUTBOX_RELAY_OPTIONS, OutboxRelay } from './outbox-relay';
import { OutboxMetrics } from './outbox.metrics';

@Module({})
export class OutboxModule {
  static forRoot(options: OutboxRelayOptions): DynamicModule {
    return {
      module: OutboxModule,
      providers: [{ provide: OUTBOX_RELAY_OPTIONS, useValue: options }, OutboxMetrics, OutboxRelay],
    };
  }
}
