import type { loadConfig } from '@app/config';
import { DatabaseEnv } from '@app/database';
import { HttpEnv } from '@app/http-platform';
import { KafkaEnv } from '@app/kafka';
import { OrderEventsTopicEnv } from '@app/order-events';
import { IdempotencyEnv } from './orders/idempotency.config';
import { OutboxEnv } from './outbox/outbox.config';

export class CommandServiceHttpEnv extends HttpEnv {
  override PORT: number = 3001;
}

export const commandServiceEnv = {
  http: CommandServiceHttpEnv,
  database: DatabaseEnv,
  kafka: KafkaEnv,
  orderEvents: OrderEventsTopicEnv,
  outbox: OutboxEnv,
  idempotency: IdempotencyEnv,
};

export type CommandServiceConfig = ReturnType<typeof loadConfig<typeof commandServiceEnv>>;
