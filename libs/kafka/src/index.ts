export {
  KafkaEnv,
  kafkaOptionsFromEnv,
  type DurabilityProfile,
  type KafkaOptions,
} from './kafka.config';
export { KafkaConnection } from './kafka-connection';
export { KafkaModule } from './kafka.module';
export { KafkaReadinessCheck } from './kafka.readiness';
