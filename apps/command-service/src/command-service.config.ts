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
   * Enough commands at once to keep the pool's 10 connections and the process's one thread
   * busy; more in flight only share the same CPU, each adding 1/rate to every command's
   * latency. The rest wait in line, at most HTTP_MAX_QUEUE_MS (bench:pipeline's overload phase).
   */
  override HTTP_MAX_IN_FLIGHT: number = 16;
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
