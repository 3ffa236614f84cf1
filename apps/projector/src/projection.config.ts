import { registerAs, type ConfigType } from '@nestjs/config';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { loadConfig } from '@app/config';
import { OrderEventsTopicEnv, orderEventTopics } from '@app/order-events';

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

/**
 * What the projection's parts (replays, status) know of its configuration, injected with
 * `@Inject(projectionConfig.KEY)`. main.ts has checked the whole environment before the app is
 * built (loadConfig, one line per problem), so this cannot fail there.
 */
export const projectionConfig = registerAs('projection', () => {
  const { projection, orderEvents } = loadConfig({
    projection: ProjectionEnv,
    orderEvents: OrderEventsTopicEnv,
  });
  const topics = orderEventTopics(orderEvents);
  return {
    topic: topics.events.name,
    /** Where the live consumer moves records it can never decode. */
    deadLetterTopic: topics.deadLetters.name,
    /** The live consumer group; replays use groups of their own. */
    groupId: projection.PROJECTOR_GROUP_ID,
    partitionsConsumedConcurrently: projection.PROJECTOR_PARTITIONS_CONCURRENTLY,
  };
});

export type ProjectionOptions = ConfigType<typeof projectionConfig>;
