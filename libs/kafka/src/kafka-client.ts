import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import type { KafkaModuleOptions } from './kafka.config';
import type { TopicPartitionOffset } from './kafka.types';
import type { KafkaLogger } from './reliable-consumer';
import { guardTopics, type GuardReport } from './topic-guard';

/** The app's one kafkajs instance and admin client; kafkajs stays behind this module. */
export class KafkaClient {
  readonly kafka: Kafka;
  private admin?: Promise<Admin>;
  private guardReport: GuardReport = { created: [], warnings: [] };

  constructor(
    readonly options: KafkaModuleOptions,
    private readonly logger: KafkaLogger,
  ) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => this.logKafkajs(entry),
    });
  }

  /** At boot: topics created or verified, strict durability enforced (throws on a shortfall). */
  async onModuleInit(): Promise<void> {
    if (this.options.durability === 'relaxed') {
      this.logger.warn(
        'KAFKA_DURABILITY=relaxed: topic durability is not enforced. Never use this outside a single-broker laptop.',
      );
    }
    this.guardReport = await guardTopics(
      await this.connectedAdmin(),
      this.options.topics,
      this.options.durability,
    );
    for (const topic of this.guardReport.created) this.logger.log(`created topic ${topic}`);
    for (const warning of this.guardReport.warnings) this.logger.warn(warning);
  }

  async onApplicationShutdown(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect();
  }

  /** Ids of the brokers the cluster currently reports. */
  async brokerIds(): Promise<number[]> {
    const { brokers } = await (await this.connectedAdmin()).describeCluster();
    return brokers.map((broker) => broker.nodeId);
  }

  /** Each partition's end offset (the offset the next record will get), in partition order. */
  async endOffsets(topic: string): Promise<TopicPartitionOffset[]> {
    const offsets = await (await this.connectedAdmin()).fetchTopicOffsets(topic);
    return offsets
      .map(({ partition, high }) => ({ topic, partition, offset: high }))
      .sort((a, b) => a.partition - b.partition);
  }

  /** Removes a consumer group that is done (for example a finished replay's). */
  async deleteGroup(groupId: string): Promise<void> {
    await (await this.connectedAdmin()).deleteGroups([groupId]);
  }

  /** Shortfalls accepted at boot because durability is relaxed. */
  get durabilityWarnings(): string[] {
    const relaxed =
      this.options.durability === 'relaxed'
        ? ['KAFKA_DURABILITY=relaxed: topic durability is not enforced']
        : [];
    return [...relaxed, ...this.guardReport.warnings];
  }

  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(
        () => admin,
        (error: unknown) => {
          this.admin = undefined;
          throw error;
        },
      );
    }
    return this.admin;
  }

  /**
   * kafkajs logs every failed request at ERROR, including retriable ones it then retries with
   * success (a coordinator still loading, a leader moving). Real failures reach the app as this
   * module's typed errors, so kafkajs's own lines are diagnostics: logged as warnings.
   */
  private logKafkajs({ log }: LogEntry): void {
    // ReliableProducer limits kafkajs's own retries on purpose and starts a new producer id after
    // a send that ended in doubt, which is what keeps the sequence numbers (and EoS) sound.
    if (log.message.startsWith('Limiting retries for the idempotent producer')) return;
    const detail = typeof log.error === 'string' ? `: ${log.error}` : '';
    this.logger.warn(`kafkajs: ${log.message}${detail}`);
  }
}
