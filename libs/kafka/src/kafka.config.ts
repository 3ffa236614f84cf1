import { IsIn, IsOptional, IsString, Matches } from 'class-validator';

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

  /** `relaxed` is for a single-broker laptop only and must be asked for explicitly. */
  @IsIn(['strict', 'relaxed'])
  KAFKA_DURABILITY: DurabilityProfile = 'strict';
}

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  durability: DurabilityProfile;
}

export function kafkaOptionsFromEnv(env: KafkaEnv, defaultClientId: string): KafkaOptions {
  return {
    brokers: env.KAFKA_BROKERS.split(','),
    clientId: env.KAFKA_CLIENT_ID ?? defaultClientId,
    durability: env.KAFKA_DURABILITY,
  };
}
