/**
 * The transport test app as a process of its own, for the SIGKILL test
 * (reliable-kafka.server.int-spec.ts). Each handled record is appended to HANDLED_FILE
 * (`<partition> <offset>` per line, written synchronously, so a SIGKILL loses no line of a
 * record handled). With PAUSE_MID_BATCH_AFTER=n it prints MID_BATCH once n records are handled
 * while a batch is half done, and hangs there, waiting to be killed. SIGTERM stops it cleanly.
 */
import 'reflect-metadata';
import { appendFileSync } from 'node:fs';
import { createReliableKafkaMicroservice } from '@app/kafka';
import { transportTestApp, type BatchSink } from './transport-test-app';

const env = process.env as Record<string, string>;
const pauseAfter = env.PAUSE_MID_BATCH_AFTER ? Number(env.PAUSE_MID_BATCH_AFTER) : Infinity;
let handled = 0;

const sink: BatchSink = {
  async handle(items, context) {
    for (const [index, item] of items.entries()) {
      appendFileSync(env.HANDLED_FILE, `${context.getPartition()} ${item.record.offset}\n`);
      handled += 1;
      const midBatch = index > 0 && index < items.length - 1;
      if (handled >= pauseAfter && midBatch) {
        console.log('MID_BATCH');
        await new Promise(() => undefined);
      }
      // Let other partitions' batches interleave, as real I/O would.
      await new Promise((resolve) => setImmediate(resolve));
    }
  },
};

async function main(): Promise<void> {
  const app = await createReliableKafkaMicroservice(
    transportTestApp({
      brokers: env.BROKERS.split(','),
      sasl: { username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD },
      topic: env.TOPIC,
      partitions: Number(env.PARTITIONS),
      groupId: env.GROUP,
      sink,
    }),
    { logger: ['error', 'warn'] },
  );
  process.on('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
  await app.listen();
  console.log('STARTED');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
