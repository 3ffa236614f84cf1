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
export { KafkaBatchContext, type KafkaBatchInfo, type KafkaBatchItem } from './kafka-batch.context';
export {
  KafkaModule,
  type KafkaConsumerRegistration,
  type KafkaTransportRegistration,
} from './kafka.module';
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
export {
  KafkaErrorPassThroughFilter,
  RELIABLE_KAFKA_TRANSPORT,
  ReliableKafkaServer,
  connectReliableKafka,
  createReliableKafkaMicroservice,
  type ReliableKafkaServerOptions,
  type StoredOffsets,
} from './reliable-kafka.server';
export { ReliableProducer } from './reliable-producer';
export type { TopicSpec } from './topic-spec';
export { createTopicsAndWait } from './topic-admin';
export { guardTopics } from './topic-guard';
