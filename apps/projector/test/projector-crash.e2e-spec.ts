import { randomInt } from 'node:crypto';
import type { OrderEventEnvelope } from '@app/order-events';
import { ORDER_PATHS, orderHistory } from '../../../test/fixtures/order-histories';
import { buildApps } from '../../../test/infra/build';
import { waitFor } from '../../../tools/local-infra/wait-for';
import { ProjectorUnderTest } from './projector.harness';

const ORDERS = 9_092;
const ROUNDS = 5;

describe('projector killed at random moments (built app, real Kafka and PostgreSQL)', () => {
  const projector = new ProjectorUnderTest({ PROJECTOR_PARTITIONS_CONCURRENTLY: '3' });

  beforeAll(async () => {
    await buildApps();
    await projector.setUp();
  }, 240_000);

  afterAll(() => projector.tearDown(), 60_000);

  it('after five SIGKILLs during a 20k-event stream, the view is the fold of the topic and no event was applied twice', async () => {
    // 9,092 orders along every path: 20,001 events, produced in five waves while the projector
    // runs, so each kill lands while it is reading and writing.
    const histories = Array.from({ length: ORDERS }, (_, index) =>
      orderHistory(`crash-${index}`, ORDER_PATHS[index % ORDER_PATHS.length]),
    );
    const events: OrderEventEnvelope[] = [];
    for (let step = 0; step < 3; step += 1) {
      for (const history of histories) if (history[step]) events.push(history[step]);
    }
    expect(events.length).toBeGreaterThanOrEqual(20_000);
    const waveSize = Math.ceil(events.length / ROUNDS);

    for (let round = 0; round < ROUNDS; round += 1) {
      const instance = await projector.start();
      const wave = events.slice(round * waveSize, (round + 1) * waveSize);
      const readBefore = await projector.eventsRead();
      const producing = projector.produce(wave);
      // Kill once it has made some progress into this wave, at a random point of it.
      const killAt = readBefore + randomInt(1, Math.floor(wave.length * 0.8));
      await waitFor(async () => (await projector.eventsRead()) >= killAt, {
        timeoutMs: 60_000,
        intervalMs: 20,
        description: `the projector to read ${killAt} events`,
      });
      await projector.kill(instance);
      await producing;
      // With the projector dead nothing moves: Kafka must not hold an offset the database lacks.
      const [committed, checkpoints] = [
        await projector.committedOffsets(),
        await projector.checkpoints(),
      ];
      for (const [partition, offset] of committed) {
        expect([round, partition, offset <= (checkpoints.get(partition) ?? 0)]).toEqual([
          round,
          partition,
          true,
        ]);
      }
    }

    await projector.start();
    const rows = await projector.waitUntilViewIsFoldOf(events, 180_000);
    expect(rows).toHaveLength(ORDERS);
    expect(rows.filter((row) => row.applied_events !== row.version)).toEqual([]);
    await projector.waitUntilCommittedAtEnd();
  }, 600_000);
});
