/**
 * npm run bench:kafka — 100k records of ~300 bytes through libs/kafka's ReliableProducer and
 * through raw (patched) kafkajs with the same settings (acks=-1, idempotent, one request in
 * flight), in chunks of 1,000 records per send, one send at a time, against the real 3-node
 * cluster; and, as the physical-limit anchor, Kafka's own Java ProducerPerformance (kafka-tools
 * jar, acks=all, idempotent, its defaults otherwise) with the same record size and count.
 * Prints records/s of each, module ÷ raw and module ÷ Java. KAFKA_BROKERS (with
 * BENCH_KAFKA_CREDENTIALS, its SCRAM logins) uses a cluster you run; otherwise a local one is
 * started (and stopped) under .local/bench. Every client logs in as the cluster's super user.
 */
import { Partitioners, type Message } from 'kafkajs';
import { durableProducerSettings } from '@app/kafka';
import { ReliableProducer } from '@app/kafka';
import { createDurableTopic } from '../test/infra/topics';
import { runKafkaTool } from '../tools/local-infra/kafka-cluster';
import { BenchKafka } from './bench-kafka';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const CHUNK = 1_000;
const ROUNDS = 3;
const RECORD_BYTES = 300;
const JAVA = 'Java ProducerPerformance';

async function main(): Promise<void> {
  const cluster = new BenchKafka();
  try {
    await cluster.start();
    const kafka = cluster.client('bench');
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

    for (let round = 1; round <= ROUNDS; round++) {
      const rate = await javaProducerPerformance(cluster, topic);
      best[JAVA] = Math.max(best[JAVA] ?? 0, rate);
      console.log(`round ${round}  ${JAVA.padEnd(28)} ${rate.toFixed(0).padStart(8)} records/s`);
    }

    const moduleRate = best['libs/kafka ReliableProducer'];
    console.log(
      `\n${RECORDS} records of ~${RECORD_BYTES} B, chunks of ${CHUNK}, best of ${ROUNDS} rounds:`,
    );
    for (const [name, rate] of Object.entries(best)) {
      console.log(`  ${name.padEnd(28)} ${rate.toFixed(0).padStart(8)} records/s`);
    }
    console.log(
      `  ratio module/raw kafkajs      ${(moduleRate / best['raw kafkajs']).toFixed(2)} (target >= 0.95)`,
    );
    console.log(`  ratio module/Java client      ${(moduleRate / best[JAVA]).toFixed(2)}`);
  } finally {
    await cluster.stop();
  }
}

/** Records/s as Kafka's own perf tool reports them for RECORDS records of RECORD_BYTES. */
async function javaProducerPerformance(cluster: BenchKafka, topic: string): Promise<number> {
  const stdout = await runKafkaTool(
    'org.apache.kafka.tools.ProducerPerformance',
    [
      '--topic',
      topic,
      '--num-records',
      String(RECORDS),
      '--record-size',
      String(RECORD_BYTES),
      '--throughput',
      '-1',
      '--command-config',
      cluster.clientPropertiesFile(),
      '--producer-props',
      `bootstrap.servers=${cluster.brokers.join(',')}`,
      'acks=all',
      'enable.idempotence=true',
    ],
    { heapMb: 512 },
  );
  // Last line: "100000 records sent, 51234.5 records/sec (14.66 MB/sec), ..."
  const summary = /([\d.]+) records\/sec/.exec(stdout.trim().split('\n').pop() ?? '');
  if (!summary) throw new Error(`unexpected ProducerPerformance output: ${stdout}`);
  return Number(summary[1]);
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
