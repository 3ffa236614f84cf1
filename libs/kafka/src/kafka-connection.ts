import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { KafkaOptions } from './kafka.config';

export const KAFKA_OPTIONS = Symbol('KAFKA_OPTIONS');

/** The app's one Kafka client; kafkajs stays behind this module. */
@Injectable()
export class KafkaConnection implements OnApplicationShutdown {
  private readonly kafka: Kafka;
  private admin?: Promise<Admin>;

  constructor(@Inject(KAFKA_OPTIONS) readonly options: KafkaOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.WARN,
    });
  }

  /** Ids of the brokers the cluster currently reports. */
  async brokerIds(): Promise<number[]> {
    const { brokers } = await (await this.connectedAdmin()).describeCluster();
    return brokers.map((broker) => broker.nodeId);
  }

  async onApplicationShutdown(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await (await admin).disconnect();
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
}
