import type { OrderEventEnvelope } from '@app/order-events';
import { ORDER_PATHS, orderHistory } from '../../../test/fixtures/order-histories';
import { buildApps } from '../../../test/infra/build';
import { waitFor } from '../../../tools/local-infra/wait-for';
import type { RunningApp } from '../../../tools/local-suite/suite-apps';
import { ProjectorUnderTest } from './projector.harness';

const REPLAY = '/admin/projections/order-view/replay';
const STATUS = '/admin/projections/order-view';

describe('replays outliving their owner, and cancelled (built app, real Kafka and PostgreSQL)', () => {
  const projector = new ProjectorUnderTest();
  const output: string[] = [];
  let events: OrderEventEnvelope[];
  let survivor: RunningApp;

  beforeAll(async () => {
    await buildApps();
    await projector.setUp();
  }, 240_000);

  afterAll(() => projector.tearDown(), 60_000);

  async function waitForGeneration(instance: RunningApp, generation: number) {
    return waitFor(
      async () => {
        const { body } = await projector.admin(instance, 'GET', STATUS);
        return body.currentGeneration === generation ? body : false;
      },
      // A dead member keeps its partitions of the replay group until its session times out.
      { timeoutMs: 150_000, intervalMs: 500, description: `generation ${generation} to serve` },
    );
  }

  it('the owner of a running replay is killed: another instance finishes it', async () => {
    events = Array.from({ length: 10_000 }, (_, index) =>
      orderHistory(`failover-${index}`, ORDER_PATHS[index % ORDER_PATHS.length]),
    ).flat();
    const owner = await projector.start(output);
    survivor = await projector.start(output);
    await projector.produce(events);
    await projector.waitUntilViewIsFoldOf(events);

    const started = await projector.admin(owner, 'POST', REPLAY);
    expect(started).toMatchObject({ status: 202, body: { status: 'running', generation: 2 } });
    await projector.kill(owner);
    // It died before the replay could read the topic, let alone switch.
    const { rows } = await projector.db.query(
      'SELECT status, (SELECT current_generation FROM order_view_state) AS current FROM order_view_replays',
    );
    expect(rows).toEqual([{ status: 'running', current: 1 }]);

    const status = await waitForGeneration(survivor, 2);
    expect(status).toMatchObject({
      status: 'live',
      replay: { replayId: started.body.replayId, status: 'completed', generation: 2 },
    });
    const view = await projector.waitUntilViewIsFoldOf(events);
    expect(view.filter((row) => row.applied_events !== row.version)).toEqual([]);
  }, 300_000);

  it('cancel stops the running replay and drops its generation (404 when none runs); the next one starts and completes', async () => {
    const none = await projector.admin(survivor, 'DELETE', REPLAY);
    expect(none).toMatchObject({ status: 404, body: { error: 'REPLAY_NOT_RUNNING' } });

    const started = await projector.admin(survivor, 'POST', REPLAY);
    expect(started).toMatchObject({ status: 202, body: { generation: 3 } });
    const cancelled = await projector.admin(survivor, 'DELETE', REPLAY);
    expect(cancelled).toMatchObject({
      status: 200,
      body: { replayId: started.body.replayId, status: 'cancelled' },
    });
    const again = await projector.admin(survivor, 'DELETE', REPLAY);
    expect(again).toMatchObject({ status: 404, body: { error: 'REPLAY_NOT_RUNNING' } });

    await waitFor(
      async () => {
        const { rows } = await projector.db.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM order_view WHERE generation = 3)
                + (SELECT count(*) FROM projection_checkpoints WHERE generation = 3)
                + (SELECT count(*) FROM parked_events WHERE generation = 3) AS n`,
        );
        return Number(rows[0].n) === 0;
      },
      { timeoutMs: 30_000, description: 'the cancelled generation to be removed' },
    );
    const { body: status } = await projector.admin(survivor, 'GET', STATUS);
    expect(status).toMatchObject({
      status: 'live',
      currentGeneration: 2,
      replay: { replayId: started.body.replayId, status: 'cancelled' },
    });

    const next = await projector.admin(survivor, 'POST', REPLAY);
    expect(next).toMatchObject({ status: 202, body: { status: 'running', generation: 4 } });
    await waitForGeneration(survivor, 4);
    const view = await projector.waitUntilViewIsFoldOf(events);
    expect(view.filter((row) => row.applied_events !== row.version)).toEqual([]);
    expect(output.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
  }, 300_000);
});
