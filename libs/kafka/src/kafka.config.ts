import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import type { ProducerSettings } from './producer-settings';
import type { TopicSpec } from './topic-spec';

export type DurabilityProfile = 'strict' | 'relaxed';

export class KafkaEnv {
  @IsString()
  @Matches(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, {
    message: 'must be a comma-separated list of host:port',
  })
  KAFKA_BROKERS!: string;

  @IsOptional()
  @IsString()
  KAFKA_CLIENT_ID?: string;

  /**
   * The app's SCRAM-SHA-512 principal. Required whatever the durability: the cluster admits no
   * one without credentials, and an app without them could only fail later, less clearly.
   */
  @IsString()
  @Matches(/^[\w.-]{1,128}$/, { message: 'must be 1-128 of [A-Za-z0-9_.-]' })
  KAFKA_SASL_USERNAME!: string;

  @IsString()
  @MinLength(1, { message: 'is required' })
  @MaxLength(1_024)
  KAFKA_SASL_PASSWORD!: string;

  /** `relaxed` is for a single-broker laptop only and must be asked for explicitly. */
  @IsIn(['strict', 'relaxed'])
  KAFKA_DURABILITY: DurabilityProfile = 'strict';

  /** Bound of one send, retries included; past it the send fails with a retriable error. */
  @IsInt()
  @Min(1_000)
  @Max(300_000)
  KAFKA_SEND_TIMEOUT_MS: number = 30_000;

  /** How long boot keeps trying to reach the cluster (any listed broker) before giving up. */
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  KAFKA_CONNECT_TIMEOUT_MS: number = 60_000;

  /**
   * A consumer silent this long is evicted and its partitions move on: how long a crashed
   * instance's partitions wait. Within the brokers' group.min/max.session.timeout.ms.
   */
  @IsInt()
  @Min(6_000)
  @Max(300_000)
  KAFKA_SESSION_TIMEOUT_MS: number = 10_000;
}

/** A SCRAM-SHA-512 login; the password never appears in a message or a log. */
export interface KafkaSaslCredentials {
  username: string;
  password: string;
}

export interface KafkaModuleOptions {
  brokers: string[];
  clientId: string;
  /** Absent only for a cluster without authentication (none of the suite's). */
  sasl?: KafkaSaslCredentials;
  durability: DurabilityProfile;
  /** Every topic the app produces to or consumes from; checked (and created) at boot. */
  topics: TopicSpec[];
  producer?: Partial<ProducerSettings>;
  /** How long boot retries an unreachable cluster; 60 s by default. */
  connectTimeoutMs?: number;
  consumer?: { sessionTimeoutMs?: number };
}

export function kafkaOptionsFromEnv(
  env: KafkaEnv,
  defaultClientId: string,
  topics: TopicSpec[],
): KafkaModuleOptions {
  return {
    brokers: env.KAFKA_BROKERS.split(','),
    clientId: env.KAFKA_CLIENT_ID ?? defaultClientId,
    sasl: { username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD },
    durability: env.KAFKA_DURABILITY,
    topics,
    producer: { sendTimeoutMs: env.KAFKA_SEND_TIMEOUT_MS },
    connectTimeoutMs: env.KAFKA_CONNECT_TIMEOUT_MS,
    consumer: { sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS },
  };
}
