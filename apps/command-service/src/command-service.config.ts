import type { loadConfig } from '@app/config';
import { DatabaseEnv } from '@app/database';
import { HttpEnv } from '@app/http-platform';
import { KafkaEnv } from '@app/kafka';
import { OrderEventsTopicEnv } from '@app/order-events';
import { IdempotencyEnv } from './orders/idempotency.config';
import { OutboxEnv } from './outbox/outbox.config';

export class CommandServiceHttpEnv extends HttpEnv {
  override PORT: number = 3001;
  /**
   * A command keeps the process busy from its first byte to its answer, so requests beyond what
   * saturates it (64 in flight reach its peak rate in bench:commands) only wait: by Little's
   * law each one more in flight adds 1/rate to every accepted command's latency. Refused at
   * once instead, the excess retries elsewhere or later (bench:pipeline's overload phase).
   */
  override HTTP_MAX_IN_FLIGHT: number = 64;
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
