export {
  KafkaEnv,
  kafkaOptionsFromEnv,
  type DurabilityProfile,
  type KafkaModuleOptions,
  type KafkaSaslCredentials,
} from './kafka.config';
export { KafkaClient } from './kafka-client';
export {
  KafkaAccessError,
  KafkaDurabilityError,
  KafkaModuleError,
  KafkaSendError,
  KafkaSendTimeoutError,
  UnsafeKafkaSettingsError,
} from './kafka.errors';
export { KafkaMetrics } from './kafka.metrics';
export { KafkaModule, type KafkaConsumerRegistration } from './kafka.module';
export { KafkaReadinessCheck } from './kafka.readiness';
export type {
  ConsumedRecord,
  OutgoingRecord,
  TopicPartition,
  TopicPartitionOffset,
} from './kafka.types';
export {
  DEFAULT_PRODUCER_SETTINGS,
  durableProducerSettings,
  type ProducerSettings,
} from './producer-settings';
export {
  ReliableConsumer,
  type BatchHandler,
  type ConsumedBatch,
  type KafkaLogger,
  type ReliableConsumerOptions,
} from './reliable-consumer';
export { ReliableProducer } from './reliable-producer';
export type { TopicSpec } from './topic-spec';
