import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import type { TopicSpec } from '@app/kafka';

/** Where order events are published: the contract's topic and its dead-letter topic. */
export class OrderEventsTopicEnv {
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,200}$/, { message: 'must be a valid Kafka topic name' })
  ORDER_EVENTS_TOPIC: string = 'order-events';

  /** Used when the topic is created; an existing topic keeps its partition count. */
  @IsInt()
  @Min(1)
  @Max(1_000)
  ORDER_EVENTS_PARTITIONS: number = 6;
}

export interface OrderEventTopics {
  events: TopicSpec;
  deadLetters: TopicSpec;
}

/** Both keep events forever: replay rebuilds the view from offset 0, and DLQ entries await an operator. */
export function orderEventTopics(env: OrderEventsTopicEnv): OrderEventTopics {
  return {
    events: {
      name: env.ORDER_EVENTS_TOPIC,
      partitions: env.ORDER_EVENTS_PARTITIONS,
      retention: 'forever',
    },
    deadLetters: {
      name: `${env.ORDER_EVENTS_TOPIC}.dlq`,
      partitions: env.ORDER_EVENTS_PARTITIONS,
      retention: 'forever',
    },
  };
}
