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
   * Commands worked on at once: more than the pool's 10 connections and the process's one thread
   * need (64 reach its peak rate in bench:commands), few enough that each accepted command
   * waits at most 64/rate behind the others; the rest wait in line, at most HTTP_MAX_QUEUE_MS.
   * A burst of 50 concurrent commands on one order (the e2e race test) is served whole.
   */
  override HTTP_MAX_IN_FLIGHT: number = 64;
  /**
   * Commands worked on at once while overloaded (the line stood for HTTP_MAX_QUEUE_MS): more
   * than the pool's 10 connections, so the rate holds, few enough that an accepted command waits
   * about 24/rate behind the others (64 in flight made that 136 ms at 470/s in bench:pipeline).
   */
  override HTTP_OVERLOAD_IN_FLIGHT: number = 24;
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
