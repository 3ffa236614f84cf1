import type { Kafka, Message, Producer } from 'kafkajs';
import { KafkaSendError, KafkaSendTimeoutError } from './kafka.errors';
import { KafkaMetrics } from './kafka.metrics';
import type { ProducerSettings } from './producer-settings';
import type { OutgoingRecord } from './kafka.types';

const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 2_000;

/**
 * Sends records with acks=all on an idempotent producer, one request in flight, and reports a
 * send as done only once every in-sync replica has it.
 *
 * Sends run one at a time. kafkajs assigns an idempotent batch its sequence numbers when it
 * builds the request and advances them only on success, so two concurrent sends to one
 * partition could be given the same sequence and the broker would drop the second as a
 * duplicate. A caller whose send timed out is answered at once, but the next send starts only
 * when the timed-out one has really finished.
 */
export class ReliableProducer {
  private readonly producer: Producer;
  private queue: Promise<unknown> = Promise.resolve();
  private connected?: Promise<void>;
  private closed = false;

  constructor(
    kafka: Kafka,
    private readonly settings: ProducerSettings,
    private readonly metrics: KafkaMetrics = new KafkaMetrics(),
  ) {
    this.producer = kafka.producer({
      idempotent: settings.idempotent,
      maxInFlightRequests: settings.maxInFlightRequests,
      // kafkajs retries a little itself; longer outages are retried (and counted) by send().
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
  }

  async connect(): Promise<void> {
    this.connected ??= this.producer.connect();
    await this.connected;
  }

  /** Nest lifecycle: connected at boot, flushed and closed after the HTTP server stopped. */
  onModuleInit(): Promise<void> {
    return this.connect();
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /**
   * Sends all `records` to `topic` in one batched request per broker. Resolves once all of them
   * are acknowledged by every in-sync replica; rejects with KafkaSendTimeoutError (retriable)
   * after `sendTimeoutMs`, or KafkaSendError. A rejected send may still have been written
   * (at-least-once): retrying it can duplicate, never lose or reorder, records.
   */
  async send(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (this.closed) throw new KafkaSendError('producer is shut down', false);
    if (records.length === 0) return;
    const deadline = Date.now() + this.settings.sendTimeoutMs;
    const attempt = this.queue.then(() => this.sendUntil(topic, records.map(toMessage), deadline));
    this.queue = attempt.catch(() => undefined);

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new KafkaSendTimeoutError(topic, records.length, this.settings.sendTimeoutMs)),
        this.settings.sendTimeoutMs,
      );
    });
    try {
      await Promise.race([attempt, timedOut]);
      this.metrics.recordsSent.inc({ topic }, records.length);
    } catch (error) {
      this.metrics.recordsFailed.inc({ topic }, records.length);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the sends already queued (bounded), then disconnects. */
  async close(flushTimeoutMs = this.settings.sendTimeoutMs): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.queue,
      new Promise((resolve) => (timer = setTimeout(resolve, flushTimeoutMs))),
    ]);
    clearTimeout(timer);
    await this.producer.disconnect();
  }

  private async sendUntil(topic: string, messages: Message[], deadline: number): Promise<void> {
    await this.connect();
    for (let backoff = BACKOFF_START_MS; ; backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)) {
      try {
        await this.producer.send({
          topic,
          messages,
          acks: -1,
          // How long the leader may wait for the in-sync replicas before answering.
          timeout: Math.max(1, deadline - Date.now()),
        });
        return;
      } catch (error) {
        const retriable = isRetriable(error);
        if (!retriable || Date.now() + backoff >= deadline) {
          throw new KafkaSendError(`send to ${topic} failed: ${(error as Error).message}`, retriable, {
            cause: error,
          });
        }
        this.metrics.recordsRetried.inc({ topic }, messages.length);
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
  }
}

function toMessage(record: OutgoingRecord): Message {
  return { key: record.key, value: record.value, headers: record.headers };
}

/** kafkajs marks transient errors `retriable`; retries exhausted on one still is. */
function isRetriable(error: unknown): boolean {
  const candidate = error as { retriable?: boolean; name?: string; cause?: unknown };
  if (candidate.retriable) return true;
  if (candidate.name === 'KafkaJSNumberOfRetriesExceeded') return true;
  return candidate.cause !== undefined && isRetriable(candidate.cause);
}
