import type { loadConfig } from '@app/config';
import { DatabaseEnv } from '@app/database';
import { HttpEnv } from '@app/http-platform';
import { KafkaEnv } from '@app/kafka';
import { OrderEventsTopicEnv } from '@app/order-events';
import { AdminEnv } from './admin/admin.config';
import { ProjectionEnv } from './projection.config';

export class ProjectorHttpEnv extends HttpEnv {
  override PORT: number = 3003;
}

export const projectorEnv = {
  http: ProjectorHttpEnv,
  database: DatabaseEnv,
  kafka: KafkaEnv,
  orderEvents: OrderEventsTopicEnv,
  admin: AdminEnv,
  projection: ProjectionEnv,
};

export type ProjectorConfig = ReturnType<typeof loadConfig<typeof projectorEnv>>;
