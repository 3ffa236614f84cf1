import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import { accessRefusal } from './kafka-access';
import type { KafkaModuleOptions } from './kafka.config';
import { KafkaDurabilityError, KafkaUnavailableError } from './kafka.errors';
import type { TopicPartitionOffset } from './kafka.types';
import type { ConsumerStatus, KafkaLogger, ReliableConsumerOptions } from './reliable-consumer';
import { guardTopics, type GuardReport } from './topic-guard';

const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;
const CONNECT_BACKOFF_MAX_MS = 5_000;
/** kafkajs's wording before a connection error; not the cause, so left out of the boot line. */
const SEED_BROKER_RETRY =
  /^Failed to connect to seed broker, trying another broker from the list: /;

/**
 * Protocol errors kafkajs retries by itself and that are routine while a cluster or a group
 * settles: a coordinator still loading its offsets, a topic whose metadata has not reached every
 * broker, a leader election, a rebalance. At a fresh start they mean nothing is wrong; a state
 * that lasts shows in readiness and in this module's typed errors, not in these lines.
 */
const TRANSIENT_KAFKAJS_ERRORS = [
  'The coordinator is loading',
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  'This server does not host this topic-partition',
  'There is no leader for this topic-partition',
  'The group is rebalancing',
];

/** A consumer whose health readiness reports. */
export interface WatchedConsumer {
  status(): ConsumerStatus;
}

/** The app's one kafkajs instance and admin client; kafkajs stays behind this module. */
export class KafkaClient {
  readonly kafka: Kafka;
  private admin?: Promise<Admin>;
  private guardReport: GuardReport = { created: [], warnings: [] };
  private readonly watched = new Set<WatchedConsumer>();
  /** Set by the first untilReachable: one deadline for the whole boot. */
  private bootDeadline?: number;
  /** What kafkajs last reported failing, to name the cause when an attempt is cut off. */
  private lastKafkajsError?: string;
  /** Whether kafkajs's last consumer crash was a routine transient error (see logKafkajs). */
  private lastCrashTransient = false;

  constructor(
    readonly options: KafkaModuleOptions,
    private readonly logger: KafkaLogger,
  ) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      sasl: options.sasl && { mechanism: 'scram-sha-512', ...options.sasl },
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
    this.guardReport = await this.untilReachable(async () =>
      guardTopics(await this.connectedAdmin(), this.options.topics, this.options.durability),
    );
    for (const topic of this.guardReport.created) this.logger.log(`created topic ${topic}`);
    for (const warning of this.guardReport.warnings) this.logger.warn(warning);
  }

  /**
   * Retries `work` while the cluster cannot be reached (kafkajs tries each listed broker in
   * turn), with backoff, until the boot deadline: `connectTimeoutMs` after the first call, shared
   * by every step of the boot (topic guard, producer). Then one clear line. An attempt still
   * running at the deadline is abandoned (one attempt alone can take seconds: kafkajs retries
   * its connects); boot fails and the process exits. A durability refusal, and Kafka refusing
   * the app's credentials or denying it by ACL, are answers, not outages: thrown at once.
   */
  async untilReachable<T>(work: () => Promise<T>): Promise<T> {
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.bootDeadline ??= Date.now() + timeoutMs;
    const deadline = this.bootDeadline;
    const unavailable = (cause: unknown) =>
      new KafkaUnavailableError(this.options.brokers, timeoutMs, cause);
    for (let backoff = 250; ; backoff = Math.min(backoff * 2, CONNECT_BACKOFF_MAX_MS)) {
      let cutOff = false;
      let timer: NodeJS.Timeout | undefined;
      const deadlinePassed = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => {
            cutOff = true;
            reject(new Error(this.lastKafkajsError ?? 'no answer'));
          },
          Math.max(0, deadline - Date.now()),
        );
      });
      try {
        return await Promise.race([work(), deadlinePassed]);
      } catch (error) {
        if (error instanceof KafkaDurabilityError) throw error;
        const refusal = accessRefusal(error, this.options.sasl);
        if (refusal) throw refusal;
        if (cutOff || Date.now() + backoff >= deadline) throw unavailable(error);
        this.logger.warn(
          `Kafka not reachable yet (${(error as Error).message}); retrying in ${backoff} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, backoff));
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** Settings every consumer of this app shares: timeouts, and the partition counts to expect. */
  get consumerSettings(): Pick<
    ReliableConsumerOptions,
    'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'expectedPartitions'
  > {
    const sessionTimeoutMs = this.options.consumer?.sessionTimeoutMs;
    return {
      sessionTimeoutMs,
      heartbeatIntervalMs:
        sessionTimeoutMs === undefined
          ? undefined
          : Math.max(500, Math.floor(sessionTimeoutMs / 10)),
      expectedPartitions: this.expectedPartitions,
    };
  }

  /** The partition count each topic of the app is created with (and must keep). */
  get expectedPartitions(): Record<string, number> {
    return Object.fromEntries(this.options.topics.map((topic) => [topic.name, topic.partitions]));
  }

  /** Readiness reports `consumer` from now on (the app's long-lived consumers, not replays). */
  watch(consumer: WatchedConsumer): void {
    this.watched.add(consumer);
  }

  /** How each watched consumer is doing. */
  get consumerStatuses(): ConsumerStatus[] {
    return [...this.watched].map((consumer) => consumer.status());
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

  /** How many records the topic holds now: from each partition's start offset to its end. */
  async recordCount(topic: string): Promise<number> {
    const offsets = await (await this.connectedAdmin()).fetchTopicOffsets(topic);
    return offsets.reduce((sum, { high, low }) => sum + Number(BigInt(high) - BigInt(low)), 0);
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
   * module's typed errors, so kafkajs's own lines are diagnostics: logged as warnings, and the
   * routine transient ones at debug level.
   */
  private logKafkajs(entry: LogEntry): void {
    const { log } = entry;
    // ReliableProducer limits kafkajs's own retries on purpose and starts a new producer id after
    // a send that ended in doubt, which is what keeps the sequence numbers (and EoS) sound.
    if (log.message.startsWith('Limiting retries for the idempotent producer')) return;
    const detail = typeof log.error === 'string' ? `: ${log.error}` : '';
    if (entry.level === logLevel.ERROR) {
      this.lastKafkajsError = `${log.message}${detail}`.replace(SEED_BROKER_RETRY, '');
    }
    const line = `kafkajs: ${log.message}${detail}`;
    let transient = isTransientKafkajsError(line);
    // A consumer that met one of them while joining "crashes" and restarts itself at once.
    if (log.message.startsWith('Crash: ')) this.lastCrashTransient = transient;
    else if (log.message.startsWith('Restarting the consumer')) transient = this.lastCrashTransient;
    if (transient) this.logger.debug?.(line);
    else this.logger.warn(line);
  }
}

function isTransientKafkajsError(line: string): boolean {
  return TRANSIENT_KAFKAJS_ERRORS.some((transient) => line.includes(transient));
}
