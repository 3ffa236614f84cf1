import { join } from 'node:path';
import { ORDER_PATHS, orderHistory } from '../../../test/fixtures/order-histories';
import { buildApps } from '../../../test/infra/build';
import { freePort } from '../../../test/infra/free-port';
import { TEST_DATA_DIR } from '../../../test/infra/local-infra';
import { committedGroupOffsets } from '../../../test/infra/topics';
import { LocalPostgres } from '../../../tools/local-infra/local-postgres';
import { waitFor } from '../../../tools/local-infra/wait-for';
import { ProjectorUnderTest } from './projector.harness';

const OUTAGE_MS = 10_000;

describe('projector while PostgreSQL is down (built app, real Kafka and PostgreSQL)', () => {
  // A PostgreSQL server of this test's own, so that stopping it harms no other test.
  let postgres: LocalPostgres;
  const projector = new ProjectorUnderTest();

  beforeAll(async () => {
    await buildApps();
    postgres = new LocalPostgres({
      dataDir: join(TEST_DATA_DIR, 'postgres-outage'),
      port: await freePort(),
    });
    await postgres.start();
    await projector.setUp(postgres.adminUrl);
    // Instrumentation: every checkpoint the projector commits, with when it was written, so the
    // test knows exactly what the database held when it went down.
    await projector.db.query(`
      CREATE TABLE checkpoint_log (partition integer, next_offset bigint,
                                   logged_at timestamptz DEFAULT clock_timestamp());
      CREATE FUNCTION log_checkpoint() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
        BEGIN INSERT INTO checkpoint_log VALUES (NEW.partition, NEW.next_offset); RETURN NEW; END $$;
      CREATE TRIGGER log_checkpoint AFTER INSERT OR UPDATE ON projection_checkpoints
        FOR EACH ROW EXECUTE FUNCTION log_checkpoint();`);
  }, 240_000);

  afterAll(async () => {
    // A test that failed during the outage left the server stopped; the teardown needs it.
    await postgres.start();
    await projector.tearDown();
    await postgres.stop();
  }, 120_000);

  it('commits no Kafka offset past what the database holds during a 10 s outage, then catches up', async () => {
    const events = Array.from({ length: 2_000 }, (_, index) =>
      orderHistory(`outage-${index}`, ORDER_PATHS[index % ORDER_PATHS.length]),
    ).flat();
    const [firstHalf, secondHalf] = [events.slice(0, 2_500), events.slice(2_500)];
    const output: string[] = [];
    await projector.start(output);
    await projector.produce(firstHalf);
    await waitFor(async () => (await projector.eventsRead()) >= 1_000, {
      timeoutMs: 60_000,
      intervalMs: 50,
      description: 'the projector to be under way',
    });

    await postgres.stop();
    const stoppedAt = Date.now();
    // Events keep arriving while the database is away.
    const producing = projector.produce(secondHalf);
    // Kafka's committed offsets, sampled all through the outage on one admin connection (a new
    // one per sample took most of the interval on a busy machine).
    const observed: Map<number, number>[] = [];
    const admin = projector.kafka.admin();
    await admin.connect();
    try {
      while (Date.now() - stoppedAt < OUTAGE_MS) {
        const offsets = await committedGroupOffsets(admin, projector.groupId, projector.topic);
        observed.push(new Map(offsets.map((p) => [p.partition, Number(p.offset)])));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      await admin.disconnect();
    }
    await producing;
    const restartedAt = new Date();
    await postgres.start();

    // What the database held when it stopped: every checkpoint written before the restart.
    const { rows: held } = await projector.db.query<{ partition: number; next_offset: string }>(
      `SELECT partition, max(next_offset)::text AS next_offset FROM checkpoint_log
        WHERE logged_at < $1 GROUP BY partition`,
      [restartedAt],
    );
    const heldAtStop = new Map(held.map((row) => [row.partition, Number(row.next_offset)]));
    expect(observed.length).toBeGreaterThan(10);
    for (const snapshot of observed) {
      for (const [partition, offset] of snapshot) {
        expect([partition, offset <= (heldAtStop.get(partition) ?? 0)]).toEqual([partition, true]);
      }
    }

    const rows = await projector.waitUntilViewIsFoldOf(events, 120_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${output.slice(-30).join('\n')}`);
    });
    expect(rows.filter((row) => row.applied_events !== row.version)).toEqual([]);
    // It retried rather than crashed, and said why.
    expect(output.some((line) => /retrying/.test(line))).toBe(true);
  }, 300_000);
});
