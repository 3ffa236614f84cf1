import { randomBytes, randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { toOrderEventRecord, type OrderEventEnvelope } from '@app/order-events';
import { ORDER_PATHS, orderHistory } from '../../../test/fixtures/order-histories';
import { buildApps } from '../../../test/infra/build';
import { readTopicUntil } from '../../../test/infra/topic-reader';
import { waitFor } from '../../../tools/local-infra/wait-for';
import type { RunningApp } from '../../../tools/local-suite/suite-apps';
import { ProjectorUnderTest } from './projector.harness';

const REPLAY = '/admin/projections/order-view/replay';

/** An event with a field of `size` random printable characters (as an attacker would send). */
function randomText(size: number): string {
  return randomBytes(size).toString('base64').slice(0, size);
}

async function readiness(instance: RunningApp): Promise<{ status: number; body: string }> {
  const response = await fetch(`${instance.url}/health/ready`);
  return { status: response.status, body: await response.text() };
}

describe('projector under poison content and stuck batches (built app, real Kafka and PostgreSQL)', () => {
  const projector = new ProjectorUnderTest();
  const output: string[] = [];

  beforeAll(async () => {
    await buildApps();
    await projector.setUp();
  }, 240_000);

  afterAll(async () => {
    await projector.tearDown();
  }, 60_000);

  it('dead-letters or parks every poison record, keeps every other order current, live and during a replay', async () => {
    const good = Array.from({ length: 300 }, (_, index) =>
      orderHistory(`good-${index}`, ORDER_PATHS[index % ORDER_PATHS.length]),
    );
    // Decodable JSON that PostgreSQL would refuse: an index entry of 5 KB, a year it lacks.
    const [longId] = orderHistory('x'.repeat(5_000), 'placed');
    const yearZero = {
      ...orderHistory('year-zero', 'placed')[0],
      occurredAt: '0000-01-01T00:00:00Z',
    };
    const [hugeCustomer] = orderHistory('huge-customer', 'placed');
    (hugeCustomer.data as { customerId: string }).customerId = randomText(3_000);
    // The same version claimed by a forged event before the real one: a conflict, not a duplicate.
    const [placed, paid] = orderHistory('forged', 'paid');
    const forged = {
      ...paid,
      eventId: randomUUID(),
      type: 'OrderCancelled',
      data: { reason: 'forged' },
    } as OrderEventEnvelope;
    // A record keyed by another order than its envelope's: it was partitioned by the wrong key.
    const [misrouted] = orderHistory('misrouted', 'placed');

    const records = [
      ...good.slice(0, 100).flat().map(toOrderEventRecord),
      toOrderEventRecord(longId),
      toOrderEventRecord(placed),
      toOrderEventRecord(yearZero),
      ...good.slice(100, 200).flat().map(toOrderEventRecord),
      toOrderEventRecord(hugeCustomer),
      toOrderEventRecord(forged),
      { ...toOrderEventRecord(misrouted), key: 'someone-else' },
      toOrderEventRecord(paid),
      ...good.slice(200).flat().map(toOrderEventRecord),
    ];
    const instance = await projector.start(output);
    await projector.produceRecords(records);

    // What the view must hold: the good orders, and the forged order as far as it applied.
    const expected = [...good.flat(), placed, forged];
    await projector.waitUntilViewIsFoldOf(expected);
    await projector.waitUntilCommittedAtEnd(60_000);
    await expectPoisonHandled(instance);

    const started = await projector.admin(instance, 'POST', REPLAY);
    expect(started.status).toBe(202);
    await waitFor(
      async () => {
        const status = await projector.admin(instance, 'GET', '/admin/projections/order-view');
        return status.body.currentGeneration === started.body.generation;
      },
      { timeoutMs: 120_000, description: 'the replay to switch' },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${output.slice(-40).join('\n')}`);
    });
    const view = await projector.waitUntilViewIsFoldOf(expected);
    expect(view.filter((row) => row.applied_events !== row.version)).toEqual([]);
    await projector.waitUntilCommittedAtEnd(60_000);
    await expectPoisonHandled(instance);
    expect((await readiness(instance)).status).toBe(200);

    async function expectPoisonHandled(at: RunningApp): Promise<void> {
      const parked = await projector.admin(at, 'GET', '/admin/parked');
      const items = parked.body.items as { orderId: string; version: number; reason: string }[];
      expect(
        items
          .map(({ orderId, version, reason }) => ({ orderId, version, reason }))
          .sort((a, b) => a.orderId.localeCompare(b.orderId)),
      ).toEqual([
        {
          orderId: 'forged',
          version: 2,
          reason: `conflicting event: version 2 of this order is event ${forged.eventId}, not ${paid.eventId}`,
        },
        {
          orderId: 'huge-customer',
          version: 1,
          reason: 'OrderPlaced data has a missing or malformed customerId',
        },
      ]);
      const deadLetters = await readTopicUntil(
        projector.kafka,
        `${projector.topic}.dlq`,
        (read) => read.length >= 3,
        'three dead letters',
      );
      expect(deadLetters.map((record) => record.headers['dlq-error']).sort()).toEqual([
        expect.stringContaining('occurredAt must be an ISO 8601 UTC time from year 0001'),
        expect.stringContaining('orderId must be 1 to 64'),
        expect.stringContaining('record key "someone-else" is not the envelope\'s orderId'),
      ]);
    }
  }, 300_000);
});

describe('projector held up by a lock (built app, real Kafka and PostgreSQL)', () => {
  const projector = new ProjectorUnderTest();

  beforeAll(async () => {
    await buildApps();
    await projector.setUp();
  }, 240_000);

  afterAll(async () => {
    await projector.tearDown();
  }, 60_000);

  it('reports not ready while a lock holds every batch, then resumes by itself with no double apply', async () => {
    const instance = await projector.start();
    const before = Array.from({ length: 200 }, (_, index) =>
      orderHistory(`locked-${index}`, ORDER_PATHS[index % ORDER_PATHS.length]),
    ).flat();
    await projector.produce(before);
    await projector.waitUntilViewIsFoldOf(before);

    // A migration or an operator's session holding the view's table, longer than the session
    // timeout (10 s) and the stall threshold (15 s).
    const locker: PoolClient = await projector.db.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE order_view IN ACCESS EXCLUSIVE MODE');
      const after = Array.from({ length: 200 }, (_, index) =>
        orderHistory(`after-lock-${index}`, ORDER_PATHS[index % ORDER_PATHS.length]),
      ).flat();
      await projector.produce(after);
      const stuck = await waitFor(
        async () => {
          const ready = await readiness(instance);
          return ready.status === 503 ? ready : false;
        },
        { timeoutMs: 60_000, description: 'readiness to report the stuck consumer' },
      );
      expect(stuck.body).toMatch(
        /consumer group .*: .* (has been failing|has been in progress) for \d+ s/,
      );
      await locker.query('ROLLBACK');
      await waitFor(async () => (await readiness(instance)).status === 200, {
        timeoutMs: 60_000,
        description: 'readiness once the lock is gone',
      });
      const view = await projector.waitUntilViewIsFoldOf([...before, ...after]);
      expect(view.filter((row) => row.applied_events !== row.version)).toEqual([]);
      await projector.waitUntilCommittedAtEnd(60_000);
    } finally {
      locker.release();
    }
  }, 300_000);
});
