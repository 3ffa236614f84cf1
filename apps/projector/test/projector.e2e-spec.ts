import type { OrderEventEnvelope } from '@app/order-events';
import { ORDER_PATHS, orderHistory } from '../../../test/fixtures/order-histories';
import { buildApps } from '../../../test/infra/build';
import { readTopicUntil } from '../../../test/infra/topic-reader';
import { waitFor } from '../../../tools/local-infra/wait-for';
import type { RunningApp } from '../../../tools/local-suite/suite-apps';
import { ProjectorUnderTest } from './projector.harness';

/** `count` orders along every path in turn, their events interleaved as a busy topic would. */
function someOrders(prefix: string, count: number): OrderEventEnvelope[] {
  const histories = Array.from({ length: count }, (_, index) =>
    orderHistory(`${prefix}-${index}`, ORDER_PATHS[index % ORDER_PATHS.length]),
  );
  const events: OrderEventEnvelope[] = [];
  for (let step = 0; histories.some((history) => history.length > step); step += 1) {
    for (const history of histories) if (history[step]) events.push(history[step]);
  }
  return events;
}

describe('projector (built app, real Kafka and PostgreSQL)', () => {
  const projector = new ProjectorUnderTest();
  let instance: RunningApp;
  const output: string[] = [];
  const produced: OrderEventEnvelope[] = [];

  beforeAll(async () => {
    await buildApps();
    await projector.setUp();
    instance = await projector.start(output);
  }, 240_000);

  afterAll(() => projector.tearDown(), 60_000);

  it('projects every order as the fold of its events, and commits to Kafka what the database holds', async () => {
    const events = someOrders('order', 300);
    produced.push(...events);
    await projector.produce(events);

    const rows = await projector.waitUntilViewIsFoldOf(produced);
    // Each event applied once: a double apply would count more events than versions.
    expect(rows.filter((row) => row.applied_events !== row.version)).toEqual([]);
    expect(await projector.historyMismatches()).toEqual([]);
    await projector.waitUntilCommittedAtEnd();
  });

  it('applies a redelivered stretch of the topic only once', async () => {
    const again = produced.slice(0, 200);
    const more = someOrders('later', 20);
    produced.push(...more);
    await projector.produce([...again, ...more]);

    const rows = await projector.waitUntilViewIsFoldOf(produced);
    expect(rows.filter((row) => row.applied_events !== row.version)).toEqual([]);
    expect(await projector.historyMismatches()).toEqual([]);
  });

  it('dead-letters an undecodable record and goes on with the records after it', async () => {
    await projector.produceRecords([{ key: 'garbage', value: 'this is not an event' }]);
    const after = someOrders('after-poison', 5);
    produced.push(...after);
    await projector.produce(after);

    const [dead] = await readTopicUntil(
      projector.kafka,
      `${projector.topic}.dlq`,
      (records) => records.length >= 1,
      'the poison record',
    );
    expect(dead.value).toBe('this is not an event');
    expect(dead.headers['dlq-origin-topic']).toBe(projector.topic);
    expect(dead.headers['dlq-error']).toMatch(/not JSON/);
    await projector.waitUntilViewIsFoldOf(produced);
  });

  it('parks an order with a version gap while every other order stays current; retry resumes it', async () => {
    const [placed, paid, shipped] = orderHistory('gappy', 'shipped');
    const others = someOrders('beside-gap', 30);
    await projector.produce([placed, shipped, ...others]);

    await waitFor(
      async () => {
        const parked = await projector.admin(instance, 'GET', '/admin/parked');
        const items = parked.body.items as { orderId: string; version: number; resolution: null }[];
        return items.some((item) => item.orderId === 'gappy' && item.version === 3);
      },
      { timeoutMs: 30_000, description: 'the gappy order to be parked' },
    );
    // Every other order is current; the parked one stays at what it could apply.
    await projector.waitUntilViewIsFoldOf([...produced, ...others, placed]);

    // The missing event arrives late: it queues behind the parked one rather than jumping it.
    await projector.produce([paid]);
    await waitFor(
      async () => {
        const { rows } = await projector.db.query(
          `SELECT 1 FROM parked_events WHERE order_id = 'gappy' AND version = 2`,
        );
        return rows.length === 1;
      },
      { timeoutMs: 30_000, description: 'the late event to be parked behind the gap' },
    );

    const retried = await projector.admin(instance, 'POST', '/admin/parked/gappy/retry');
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({
      orderId: 'gappy',
      version: 3,
      applied: 2,
      stillParked: 0,
    });
    produced.push(...others, placed, paid, shipped);
    const rows = await projector.waitUntilViewIsFoldOf(produced);
    expect(rows.find((row) => row.order_id === 'gappy')?.applied_events).toBe(3);

    const bad = await projector.admin(instance, 'POST', '/admin/parked/a%00b/retry');
    expect(bad).toMatchObject({ status: 400, body: { error: 'INVALID_ORDER_ID' } });
    const again = await projector.admin(instance, 'POST', '/admin/parked/gappy/retry');
    expect(again).toMatchObject({ status: 404, body: { error: 'ORDER_NOT_PARKED' } });
  });

  it('parks an unknown event type; retry leaves it parked, skip steps over it and resumes', async () => {
    const [placed, paid] = orderHistory('odd', 'paid');
    const unknown = {
      ...paid,
      type: 'OrderGiftWrapped',
      data: { paper: 'red' },
    } as unknown as OrderEventEnvelope;
    const paidAfter = { ...paid, version: 3 };
    await projector.produce([placed, unknown, paidAfter]);
    await waitFor(
      async () =>
        (await projector.admin(instance, 'POST', '/admin/parked/odd/retry')).body.stillParked === 2,
      { timeoutMs: 30_000, description: 'the unknown event to stay parked on retry' },
    );

    const skipped = await projector.admin(instance, 'POST', '/admin/parked/odd/skip');
    expect(skipped.body).toMatchObject({
      orderId: 'odd',
      version: 3,
      applied: 1,
      skipped: 1,
      stillParked: 0,
    });
    const [row] = (await projector.viewRows()).filter((r) => r.order_id === 'odd');
    expect(row.document).toMatchObject({ status: 'PAID', version: 3 });
    // Two events applied, one skipped by an operator.
    expect(row.applied_events).toBe(2);

    const list = await projector.admin(instance, 'GET', '/admin/parked');
    expect(list.body.truncated).toBe(false);
    const resolutions = (
      list.body.items as { orderId: string; version: number; resolution: string }[]
    )
      .filter((item) => item.orderId === 'odd')
      .map((item) => [item.version, item.resolution])
      .sort();
    expect(resolutions).toEqual([
      [2, 'skipped'],
      [3, 'applied'],
    ]);
  });

  it('reports status: live, the generation, and lag per partition', async () => {
    const status = await waitFor(
      async () => {
        const { body } = await projector.admin(instance, 'GET', '/admin/projections/order-view');
        const partitions = body.partitions as { lag: number }[];
        return partitions.every((partition) => partition.lag === 0) ? body : false;
      },
      { timeoutMs: 30_000, description: 'no lag' },
    );
    expect(status).toMatchObject({
      projection: 'order-view',
      status: 'live',
      currentGeneration: 1,
      // The poison record of the dead-letter test above.
      deadLettered: 1,
      replay: null,
    });
    expect(status.partitions).toHaveLength(6);
  });

  it('refuses admin calls without the token (401) or with another (403), and runs nothing', async () => {
    const calls: ['GET' | 'POST' | 'DELETE', string][] = [
      ['POST', '/admin/projections/order-view/replay'],
      ['DELETE', '/admin/projections/order-view/replay'],
      ['GET', '/admin/projections/order-view'],
      ['GET', '/admin/parked'],
      ['POST', '/admin/parked/gappy/retry'],
      ['POST', '/admin/parked/gappy/skip'],
    ];
    const parkedBefore = await projector.db.query('SELECT * FROM parked_events ORDER BY "offset"');
    for (const [method, path] of calls) {
      const anonymous = await projector.admin(instance, method, path, null);
      expect([path, anonymous.status, anonymous.body.error]).toEqual([
        path,
        401,
        'ADMIN_TOKEN_MISSING',
      ]);
      const wrong = await projector.admin(instance, method, path, 'not-the-admin-token-at-all');
      expect([path, wrong.status, wrong.body.error]).toEqual([path, 403, 'ADMIN_TOKEN_INVALID']);
    }
    const replays = await projector.db.query('SELECT * FROM order_view_replays');
    expect(replays.rows).toEqual([]);
    const parkedAfter = await projector.db.query('SELECT * FROM parked_events ORDER BY "offset"');
    expect(parkedAfter.rows).toEqual(parkedBefore.rows);
  });

  it("replays into a new generation and switches to it, keeping the operators' decisions; a second replay meanwhile is refused", async () => {
    const before = await projector.viewRows();
    // What readers see of the orders operators resolved (one skipped, one retried), sampled all
    // through the replay and its switch: their version must never go backwards.
    const resolved = ['gappy', 'odd'];
    const seen: { orderId: string; version: number }[] = [];
    const sample = async () => {
      const { rows } = await projector.db.query<{ order_id: string; version: number }>(
        'SELECT order_id, version FROM current_order_view WHERE order_id = ANY($1) ORDER BY 1',
        [resolved],
      );
      seen.push(...rows.map((row) => ({ orderId: row.order_id, version: row.version })));
      if (rows.length !== resolved.length) seen.push({ orderId: 'missing', version: -1 });
    };
    await sample();

    const started = await projector.admin(instance, 'POST', '/admin/projections/order-view/replay');
    expect(started).toMatchObject({ status: 202, body: { status: 'running', generation: 2 } });
    const second = await projector.admin(instance, 'POST', '/admin/projections/order-view/replay');
    expect(second).toMatchObject({ status: 409, body: { error: 'REPLAY_RUNNING' } });

    const status = await waitFor(
      async () => {
        await sample();
        const { body } = await projector.admin(instance, 'GET', '/admin/projections/order-view');
        return body.currentGeneration === 2 ? body : false;
      },
      { timeoutMs: 60_000, intervalMs: 50, description: 'generation 2 to serve reads' },
    );
    await sample();
    expect(status).toMatchObject({
      status: 'live',
      replay: { status: 'completed', generation: 2 },
    });
    const replay = status.replay as { processed: number; total: number };
    expect(replay.processed).toBe(replay.total);

    // Built without its list indexes, generation 2 serves reads with them.
    const indexes = await projector.db.query<{ name: string }>(
      `SELECT indexrelid::regclass::text AS name FROM pg_index
        WHERE indrelid = 'order_view_g2'::regclass ORDER BY 1`,
    );
    expect(indexes.rows.map((row) => row.name)).toEqual([
      'order_view_g2_by_customer',
      'order_view_g2_by_status',
      'order_view_g2_newest',
      'order_view_g2_pkey',
    ]);

    // Identical, the resolved orders included: the skip and the retry carried into generation 2.
    const after = await projector.viewRows();
    expect(after.map((row) => row.document)).toEqual(before.map((row) => row.document));
    // The history was rebuilt with the view, the skip and the retry included.
    expect(await projector.historyMismatches()).toEqual([]);
    for (const orderId of resolved) {
      const versions = seen.filter((s) => s.orderId === orderId).map((s) => s.version);
      expect([orderId, versions]).toEqual([orderId, [...versions].sort((a, b) => a - b)]);
      expect(versions.at(-1)).toBe(3);
    }
    expect(seen.filter((s) => s.orderId === 'missing')).toEqual([]);
    const parked = await projector.admin(instance, 'GET', '/admin/parked');
    expect(parked.body.generation).toBe(2);
    const items = parked.body.items as { orderId: string; version: number; resolution: string }[];
    expect(items.filter((item) => item.resolution === null)).toEqual([]);
    expect(
      items
        .filter((item) => item.orderId === 'odd')
        .map((item) => [item.version, item.resolution])
        .sort(),
    ).toEqual([
      [2, 'skipped'],
      [3, 'applied'],
    ]);
    await waitFor(
      async () => {
        const { rows } = await projector.db.query('SELECT DISTINCT generation FROM order_view');
        return rows.length === 1;
      },
      { timeoutMs: 30_000, description: 'the retired generation to be removed' },
    );
    expect(output.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
  });

  /** The view's partitions, one per generation. */
  async function partitions(): Promise<string[]> {
    const { rows } = await projector.db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'order_view'::regclass ORDER BY 1`,
    );
    return rows.map((row) => row.name);
  }

  it('drops a retired generation it could not lock at the switch once the lock is gone, without a restart', async () => {
    const failedDrop = 'dropping retired generations (tried again later)';
    // A long read of generation 2 through the switch to 3: the drop at the replay's end cannot
    // lock the generation it retires.
    const reader = await projector.db.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM order_view_g2');
      await projector.replayUntilGeneration(instance, 3);
      await waitFor(() => output.some((line) => line.includes(failedDrop)), {
        timeoutMs: 30_000,
        description: "the drop at the replay's end to give up",
      });
      expect(await partitions()).toContain('order_view_g2');
    } finally {
      await reader.query('COMMIT');
      reader.release();
    }

    await waitFor(async () => !(await partitions()).includes('order_view_g2'), {
      timeoutMs: 60_000,
      description: 'the retired generation 2 to be dropped',
    });
    expect(await partitions()).toEqual(['order_view_g3']);
  });

  it('drops a generation left behind while no replay runs, with no replay ending and no restart', async () => {
    // What a drop that gave up leaves: partitions of a generation neither current nor being built.
    await projector.db.query('SELECT order_view_add_generation(9)');
    expect(await partitions()).toEqual(['order_view_g3', 'order_view_g9']);

    await waitFor(async () => (await partitions()).length === 1, {
      timeoutMs: 60_000,
      description: 'the generation left behind to be dropped',
    });
    expect(await partitions()).toEqual(['order_view_g3']);
  });
});
