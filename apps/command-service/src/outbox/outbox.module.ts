import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { outboxConfig } from './outbox.config';
import { OutboxRelay } from './outbox-relay';
import { OutboxMetrics } from './outbox.metrics';

@Module({
  imports: [ConfigModule.forFeature(outboxConfig)],
  providers: [OutboxMetrics, OutboxRelay],
})
export class OutboxModule {}
