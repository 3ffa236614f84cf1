/**
 * Issue 12 spike: npx tsx bench/kafka-producer-platformatic.bench.ts
 *
 * bench/kafka-producer.bench.ts's workload (100k records of ~300 bytes, chunks of 1,000 records
 * per send, one send at a time, acks=-1, idempotent, topic RF 3 / min.insync.replicas 2,
 * 6 partitions, best of 3 rounds) through four producers in the same run, on the same topic:
 *   raw kafkajs (the baseline), libs/kafka ReliableProducer (kafkajs), raw @platformatic/kafka
 *   (one client send() per chunk, Java-compatible partitioner) and the spike's
 *   PlatformaticReliableProducer. Prints records/s of each and the ratios to raw kafkajs.
 *
 * KAFKA_BROKERS uses a cluster you run; otherwise a local one is started (and stopped) under
 * .local/bench-platformatic on BENCH_KAFKA_PORT_BASE (default 19392). BENCH_RECORDS changes the
 * record count (e.g. 10000 for a quick check).
 */
import { join, resolve } from 'node:path';
import { compatibilityPartitioner, ProduceAcks, Producer } from '@platformatic/kafka';
import { Kafka, Partitioners, logLevel, type Message } from 'kafkajs';
import { durableProducerSettings } from '../libs/kafka/src/producer-settings';
import { ReliableProducer } from '../libs/kafka/src/reliable-producer';
import { PlatformaticReliableProducer } from '../libs/kafka/src/spike-platformatic/platformatic-reliable-producer';
import { createDurableTopic } from '../test/infra/topics';
import { LocalKafkaCluster } from '../tools/local-infra/kafka-cluster';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const CHUNK = 1_000;
const ROUNDS = 3;
const PORT_BASE = Number(process.env.BENCH_KAFKA_PORT_BASE ?? 19392);

const RAW_KAFKAJS = 'raw kafkajs';
const MODULE_KAFKAJS = 'ReliableProducer (kafkajs)';
const RAW_PLATFORMATIC = 'raw @platformatic/kafka';
const MODULE_PLATFORMATIC = 'PlatformaticReliableProducer';

async function main(): Promise<void> {
  const cluster = process.env.KAFKA_BROKERS
    ? undefined
    : new LocalKafkaCluster({
        dataDir: join(resolve(__dirname, '..'), '.local/bench-platformatic/kafka'),
        portBase: PORT_BASE,
      });
  await cluster?.start();
  const brokers = process.env.KAFKA_BROKERS?.split(',') ?? cluster!.bootstrapServers;
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.ERROR });
  try {
    const topic = `bench-${Date.now().toString(36)}`;
    await createDurableTopic(kafka, topic, 6);

    const chunks = makeChunks();
    const bufferChunks = chunks.map((messages) =>
      messages.map((message) => ({
        topic,
        key: Buffer.from(message.key as string),
        value: Buffer.from(message.value as string),
      })),
    );

    const rawKafkajs = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await rawKafkajs.connect();
    const moduleKafkajs = new ReliableProducer(kafka, durableProducerSettings());
    await moduleKafkajs.connect();
    const rawPlatformatic = new Producer({
      clientId: 'bench',
      bootstrapBrokers: brokers,
      idempotent: true,
      acks: ProduceAcks.ALL,
      partitioner: compatibilityPartitioner,
    });
    await rawPlatformatic.initIdempotentProducer({});
    const modulePlatformatic = new PlatformaticReliableProducer(
      { brokers, clientId: 'bench' },
      durableProducerSettings(),
    );
    await modulePlatformatic.connect();

    const runs: Record<string, () => Promise<void>> = {
      [RAW_KAFKAJS]: async () => {
        for (const messages of chunks) await rawKafkajs.send({ topic, acks: -1, messages });
      },
      [MODULE_KAFKAJS]: async () => {
        for (const records of chunks) {
          await moduleKafkajs.send(topic, records as { key: string; value: string }[]);
        }
      },
      [RAW_PLATFORMATIC]: async () => {
        for (const messages of bufferChunks) await rawPlatformatic.send({ messages });
      },
      [MODULE_PLATFORMATIC]: async () => {
        for (const records of chunks) {
          await modulePlatformatic.send(topic, records as { key: string; value: string }[]);
        }
      },
    };
    // Warm-up: connections, metadata, JIT.
    await rawKafkajs.send({ topic, acks: -1, messages: chunks[0] });
    await moduleKafkajs.send(topic, chunks[0] as { key: string; value: string }[]);
    await rawPlatformatic.send({ messages: bufferChunks[0] });
    await modulePlatformatic.send(topic, chunks[0] as { key: string; value: string }[]);

    const best: Record<string, number> = {};
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, run] of Object.entries(runs)) {
        const started = process.hrtime.bigint();
        await run();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const rate = RECORDS / seconds;
        best[name] = Math.max(best[name] ?? 0, rate);
        console.log(`round ${round}  ${name.padEnd(30)} ${rate.toFixed(0).padStart(8)} records/s`);
      }
    }
    await Promise.all([
      rawKafkajs.disconnect(),
      moduleKafkajs.close(),
      rawPlatformatic.close(),
      modulePlatformatic.close(),
    ]);

    const baseline = best[RAW_KAFKAJS];
    console.log(`\n${RECORDS} records of ~300 B, chunks of ${CHUNK}, best of ${ROUNDS} rounds:`);
    for (const [name, rate] of Object.entries(best)) {
      console.log(
        `  ${name.padEnd(30)} ${rate.toFixed(0).padStart(8)} records/s  ratio to raw kafkajs ${(rate / baseline).toFixed(2)}`,
      );
    }
    console.log(
      `  PlatformaticReliableProducer / ReliableProducer (kafkajs): ${(best[MODULE_PLATFORMATIC] / best[MODULE_KAFKAJS]).toFixed(2)}`,
    );
    console.log(
      `  PlatformaticReliableProducer / raw @platformatic/kafka:   ${(best[MODULE_PLATFORMATIC] / best[RAW_PLATFORMATIC]).toFixed(2)}`,
    );
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
