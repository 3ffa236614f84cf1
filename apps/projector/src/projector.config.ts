import { IsString, MinLength } from 'class-validator';
import type { loadConfig } from '@app/config';
import { DatabaseEnv } from '@app/database';
import { HttpEnv } from '@app/http-platform';
import { KafkaEnv } from '@app/kafka';
import { OrderEventsTopicEnv } from '@app/order-events';

export class ProjectorHttpEnv extends HttpEnv {
  override PORT: number = 3003;
}

export class AdminEnv {
  /** Bearer token of the admin API; long enough that guessing it is not an option. */
  @IsString()
  @MinLength(16)
  ADMIN_TOKEN!: string;
}

export const projectorEnv = {
  http: ProjectorHttpEnv,
  database: DatabaseEnv,
  kafka: KafkaEnv,
  orderEvents: OrderEventsTopicEnv,
  admin: AdminEnv,
};

export type ProjectorConfig = ReturnType<typeof loadConfig<typeof projectorEnv>>;
