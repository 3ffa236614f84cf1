import { IsInt, IsString, Matches, Max, Min, MinLength } from 'class-validator';
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

export class ProjectionEnv {
  /** The live consumer group; each replay uses `<group>-replay-<replayId>`. */
  @IsString()
  @Matches(/^[\w.-]{1,200}$/)
  PROJECTOR_GROUP_ID: string = 'order-view-projector';

  /**
   * Partitions projected at once, each in its own transaction: by default every partition of
   * the default topic, so that while some batches wait on PostgreSQL or on their fetch, others
   * keep the process busy (kafkajs fetches a broker's partitions again only once all of its
   * batches are done).
   */
  @IsInt()
  @Min(1)
  @Max(64)
  PROJECTOR_PARTITIONS_CONCURRENTLY: number = 6;
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
