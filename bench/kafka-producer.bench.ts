/**
 * npm run bench:kafka — 100k records of ~300 bytes through libs/kafka's ReliableProducer and
 * through raw kafkajs with the same settings (acks=-1, idempotent, one request in flight), in
 * chunks of 1,000 records per send, one send at a time, against the real 3-node cluster.
 * Prints records/s of each and module ÷ raw. KAFKA_BROKERS uses a cluster you run; otherwise a
 * local one is started (and stopped) under .local/bench.
 */
import { join, resolve } from 'node:path';
import { Kafka, Partitioners, logLevel, type Message } from 'kafkajs';
import { durableProducerSettings } from '../libs/kafka/src/producer-settings';
import { ReliableProducer } from '../libs/kafka/src/reliable-producer';
import { createDurableTopic } from '../test/infra/topics';
import { LocalKafkaCluster } from '../tools/local-infra/kafka-cluster';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const CHUNK = 1_000;
const ROUNDS = 3;

async function main(): Promise<void> {
  const cluster = process.env.KAFKA_BROKERS
    ? undefined
    : new LocalKafkaCluster({
        dataDir: join(resolve(__dirname, '..'), '.local/bench/kafka'),
        portBase: 19392,
      });
  await cluster?.start();
  const brokers = process.env.KAFKA_BROKERS?.split(',') ?? cluster!.bootstrapServers;
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.ERROR });
  try {
    const topic = `bench-${Date.now().toString(36)}`;
    await createDurableTopic(kafka, topic, 6);

    const chunks = makeChunks();
    const raw = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await raw.connect();
    const module = new ReliableProducer(kafka, durableProducerSettings());
    await module.connect();

    const runs = {
      'raw kafkajs': async () => {
        for (const messages of chunks) await raw.send({ topic, acks: -1, messages });
      },
      'libs/kafka ReliableProducer': async () => {
        for (const records of chunks) {
          await module.send(topic, records as { key: string; value: string }[]);
        }
      },
    };
    // Warm-up: connections, metadata, JIT.
    await raw.send({ topic, acks: -1, messages: chunks[0] });
    await module.send(topic, chunks[0] as { key: string; value: string }[]);

    const best: Record<string, number> = {};
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, run] of Object.entries(runs)) {
        const started = process.hrtime.bigint();
        await run();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const rate = RECORDS / seconds;
        best[name] = Math.max(best[name] ?? 0, rate);
        console.log(`round ${round}  ${name.padEnd(28)} ${rate.toFixed(0).padStart(8)} records/s`);
      }
    }
    await Promise.all([raw.disconnect(), module.close()]);

    const ratio = best['libs/kafka ReliableProducer'] / best['raw kafkajs'];
    console.log(`\n${RECORDS} records of ~300 B, chunks of ${CHUNK}, best of ${ROUNDS} rounds:`);
    for (const [name, rate] of Object.entries(best)) {
      console.log(`  ${name.padEnd(28)} ${rate.toFixed(0).padStart(8)} records/s`);
    }
    console.log(`  ratio module/raw              ${ratio.toFixed(2)} (target >= 0.90)`);
  } finally {
    await cluster?.stop();
  }
}

function makeChunks(): Message[][] {
  const padding = 'x'.repeat(230);
  const chunks: Message[][] = [];
  for (let start = 0; start < RECORDS; start += CHUNK) {
    chunks.push(
      Array.from({ length: Math.min(CHUNK, RECORDS - start) }, (_, i) => {
        const n = start + i;
        return {
          key: `order-${n % 10_000}`,
          value: JSON.stringify({ eventId: n, type: 'OrderPlaced', version: 1, data: padding }),
        };
      }),
    );
  }
  return chunks;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
