/**
 * A consumer process for the crash test (reliable-consumer.int-spec.ts): it handles records
 * into an idempotent PostgreSQL sink, one row at a time so that a kill can land mid-batch.
 * With PAUSE_MID_BATCH_AFTER=n it prints MID_BATCH once n records are handled while a batch is
 * half done, and hangs there, waiting for the test to SIGKILL it. RECORD_DELAY_MS slows each
 * record down (long batches); SESSION_TIMEOUT_MS sets the group session timeout.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import {
  ReliableConsumer,
  ReliableProducer,
  durableProducerSettings,
  type BatchHandler,
} from '@app/kafka';

const env = process.env as Record<string, string>;
const pauseAfter = env.PAUSE_MID_BATCH_AFTER ? Number(env.PAUSE_MID_BATCH_AFTER) : Infinity;
const recordDelayMs = Number(env.RECORD_DELAY_MS ?? 0);
const pool = new Pool({ connectionString: env.DATABASE_URL, max: 2 });
const kafka = new Kafka({
  clientId: 'crash-test',
  brokers: env.BROKERS.split(','),
  sasl: {
    mechanism: 'scram-sha-512',
    username: env.KAFKA_SASL_USERNAME,
    password: env.KAFKA_SASL_PASSWORD,
  },
  logLevel: logLevel.NOTHING,
});
let handled = 0;

const sink: BatchHandler<string> = {
  decode: (record) => record.value!.toString(),
  async handleBatch(batch) {
    for (const [index, item] of batch.items.entries()) {
      await pool.query(
        `INSERT INTO handled (partition, "offset", value) VALUES ($1, $2, $3)
         ON CONFLICT (partition, "offset") DO UPDATE SET deliveries = handled.deliveries + 1`,
        [batch.partition, item.record.offset, item.value],
      );
      handled += 1;
      if (recordDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, recordDelayMs));
      const midBatch = index > 0 && index < batch.items.length - 1;
      if (handled >= pauseAfter && midBatch) {
        console.log('MID_BATCH');
        await new Promise(() => undefined);
      }
    }
  },
};

const consumer = new ReliableConsumer(
  kafka,
  {
    groupId: env.GROUP,
    topics: [env.TOPIC],
    sessionTimeoutMs: env.SESSION_TIMEOUT_MS ? Number(env.SESSION_TIMEOUT_MS) : undefined,
  },
  sink,
  new ReliableProducer(kafka, durableProducerSettings()),
);

process.on('SIGTERM', () => {
  void consumer
    .stop()
    .then(() => pool.end())
    .then(() => process.exit(0));
});

consumer.start().then(
  () => console.log('STARTED'),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
