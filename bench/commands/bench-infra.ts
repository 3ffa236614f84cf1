import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { LocalPostgres } from '../../tools/local-infra/local-postgres';
import { repoRoot } from '../../tools/repo-root';
import { withClient } from '@app/database';
import { migrateWriteDatabase } from '../../apps/command-service/src/database/write-database';
import { BenchKafka } from '../bench-kafka';

/** Where the bench's own PostgreSQL keeps its data (when DATABASE_ADMIN_URL is not set). */
export const BENCH_POSTGRES_DIR = join(repoRoot(), '.local/bench/postgres/data');
/** The test PostgreSQL listens on 54321, the local suite on 54320. */
const POSTGRES_PORT = Number(process.env.BENCH_POSTGRES_PORT ?? 54330);

const log = (message: string) => console.log(`[bench] ${message}`);

/** Undo steps, run last-in first-out; each runs once, and one failing does not skip the others. */
export class Teardown {
  private readonly steps: { what: string; run: () => Promise<unknown> }[] = [];
  private running?: Promise<void>;

  add(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }

  /** A second call (Ctrl-C during the main flow's own teardown) waits for the first one. */
  run(): Promise<void> {
    return (this.running ??= this.runSteps());
  }

  private async runSteps(): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step.run();
      } catch (error) {
        console.error(`[bench] stopping ${step.what} failed: ${(error as Error).message}`);
      }
    }
  }
}

/** The bench cluster (see BenchKafka): KAFKA_BROKERS, or the local one under .local/bench/kafka. */
export async function startKafka(teardown: Teardown): Promise<BenchKafka> {
  const kafka = new BenchKafka(log);
  // Registered before starting, so nodes of a half-started cluster are stopped too.
  teardown.add('kafka', () => kafka.stop());
  await kafka.start();
  return kafka;
}

/** DATABASE_ADMIN_URL, or a PostgreSQL server under .local/bench/postgres; returns a superuser URL. */
export async function startPostgres(teardown: Teardown): Promise<string> {
  if (process.env.DATABASE_ADMIN_URL) return process.env.DATABASE_ADMIN_URL;
  const postgres = new LocalPostgres({
    dataDir: BENCH_POSTGRES_DIR,
    port: POSTGRES_PORT,
    log,
  });
  teardown.add('postgres', () => postgres.stop());
  await postgres.start();
  return postgres.adminUrl;
}

/** A database of its own for this run, with the command-service's migrations; dropped at the end. */
export async function createBenchDatabase(adminUrl: string, teardown: Teardown): Promise<string> {
  const name = `bench_commands_${Date.now().toString(36)}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  teardown.add(`database ${name}`, () =>
    withClient(adminUrl, (client) =>
      client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
    ),
  );
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrateWriteDatabase(url.toString());
  return url.toString();
}

/** Bench topics are deleted at the end so that repeated runs do not fill .local/bench/kafka. */
export function deleteTopicsAtEnd(kafka: Kafka, topics: string[], teardown: Teardown): void {
  teardown.add('bench topics', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const ours = topics.filter((topic) => existing.has(topic));
      if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    } finally {
      await admin.disconnect();
    }
  });
}
