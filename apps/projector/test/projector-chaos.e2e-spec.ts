import type { OrderEventEnvelope } from '@app/order-events';
import { ORDER_PATHS, orderHistory } from '../../../test/fixtures/order-histories';
import { buildApps } from '../../../test/infra/build';
import { waitFor } from '../../../tools/local-infra/wait-for';
import type { RunningApp } from '../../../tools/local-suite/suite-apps';
import { ProjectorUnderTest } from './projector.harness';

const REPLAY = '/admin/projections/order-view/replay';
const STATUS = '/admin/projections/order-view';
const INSTANCES = 3;
const ORDERS = 9_092;
const CHUNKS = 20;
/** Kills before the replay starts, while it runs, and after it (during the rest of the stream). */
const KILLS = { before: 2, during: 2, after: 2 };

/** mulberry32: a small seeded generator, so that a failing run's kill moments can be replayed. */
function seededRandom(seed: number): (min: number, max: number) => number {
  let state = seed >>> 0;
  return (min, max) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    return min + Math.floor(unit * (max - min + 1));
  };
}

interface ReplayStatus {
  replayId: string;
  generation: number;
  status: string;
  /** In the status only, not in the answer that starts a replay. */
  processed?: number;
  total?: number;
}

describe('three projectors SIGKILLed at random moments during a stream and a replay (built app, real Kafka and PostgreSQL)', () => {
  const projector = new ProjectorUnderTest({ PROJECTOR_PARTITIONS_CONCURRENTLY: '3' });
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 2 ** 31);
  const random = seededRandom(seed);
  const output: string[] = [];
  const live: RunningApp[] = [];
  const starting: Promise<void>[] = [];
  let began = Date.now();
  const log = (message: string) =>
    process.stdout.write(`[chaos +${((Date.now() - began) / 1000).toFixed(1)} s] ${message}\n`);
  let passed = false;

  beforeAll(async () => {
    await buildApps();
    await projector.setUp();
  }, 240_000);

  afterAll(async () => {
    if (!passed) process.stdout.write(`${output.slice(-60).join('\n')}\n`);
    await projector.tearDown();
  }, 60_000);

  async function status(): Promise<{ currentGeneration: number; replay: ReplayStatus | null }> {
    const { status: code, body } = await projector.admin(live[0], 'GET', STATUS);
    if (code !== 200) throw new Error(`status answered ${code}`);
    return body as unknown as { currentGeneration: number; replay: ReplayStatus | null };
  }

  async function startReplay(): Promise<ReplayStatus> {
    const { status: code, body } = await projector.admin(live[0], 'POST', REPLAY);
    if (code !== 202) throw new Error(`replay refused: ${code} ${JSON.stringify(body)}`);
    log(`replay ${String(body.replayId)} started (generation ${String(body.generation)})`);
    return body as unknown as ReplayStatus;
  }

  async function groupState(groupId: string): Promise<string> {
    const admin = projector.kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([groupId]);
      return groups[0]?.state ?? 'Unknown';
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * SIGKILLs a randomly chosen ready instance and starts its replacement without waiting for it,
   * so that the next kill may land while the groups still rebalance. At least one instance
   * other than the victim is ready (it answers the admin calls).
   */
  async function killOne(moment: string): Promise<void> {
    await waitFor(() => live.length >= 2, {
      timeoutMs: 60_000,
      intervalMs: 50,
      description: 'two ready instances',
    });
    const victim = live.splice(random(0, live.length - 1), 1)[0];
    log(`kill ${victim.url} ${moment}`);
    await projector.kill(victim);
    starting.push(
      projector.start(output).then((replacement) => {
        live.push(replacement);
        log(`replacement ${replacement.url} ready`);
      }),
    );
  }

  it('afterwards the view is the fold of the topic, no event applied twice, and every instance consumes', async () => {
    began = Date.now();
    log(`seed ${seed} (CHAOS_SEED=${seed} repeats these kill moments)`);
    const histories = Array.from({ length: ORDERS }, (_, index) =>
      orderHistory(`chaos-${index}`, ORDER_PATHS[index % ORDER_PATHS.length]),
    );
    // Each order's events in version order, spread across the stream.
    const events: OrderEventEnvelope[] = [];
    for (let step = 0; step < 3; step += 1) {
      for (const history of histories) if (history[step]) events.push(history[step]);
    }
    expect(events.length).toBeGreaterThanOrEqual(20_000);
    const chunkSize = Math.ceil(events.length / CHUNKS);
    let produced = 0;
    /** Produces the next `chunks` chunks, in the background of what the caller waits for. */
    const produceChunks = (chunks: number) => {
      const chunk = events.slice(produced, produced + chunks * chunkSize);
      const from = produced;
      produced += chunk.length;
      return { from, to: produced, done: projector.produce(chunk) };
    };

    for (let i = 0; i < INSTANCES; i += 1) live.push(await projector.start(output));
    const { currentGeneration: firstGeneration } = await status();

    /**
     * One step of the stream with a kill inside it: a few chunks produced, and an instance
     * killed once the view has read a random part of them (not all: it is still reading).
     */
    async function killWhileStreaming(): Promise<void> {
      const step = produceChunks(random(2, 3));
      const killAt = step.from + random(1, Math.floor((step.to - step.from) * 0.8));
      const read = await waitFor(
        async () => {
          const now = await projector.eventsRead();
          return now >= killAt ? now : false;
        },
        { timeoutMs: 120_000, intervalMs: 20, description: `the view to read ${killAt} events` },
      );
      await killOne(`after the view read ${read} (at least ${killAt}) of ${step.to} produced`);
      await step.done;
    }

    for (let k = 0; k < KILLS.before; k += 1) await killWhileStreaming();

    // The replay, with kills while it runs. It reads a partition in one or two batches here, so
    // progress jumps: the moment is one of its phases, picked at random (as soon as it runs, its
    // group stable, its first partitions applied); should it finish first, another one starts.
    let replay = await startReplay();
    const phases = ['at once', 'group stable', 'partitions applied'] as const;
    for (let k = 0; k < KILLS.during;) {
      // Enough is kept for the kills after the replay.
      const step = produceChunks(events.length - produced > 7 * chunkSize ? 1 : 0);
      const phase = phases[random(0, phases.length - 1)];
      const moment = await waitFor(
        async () => {
          const current = (await status()).replay;
          if (current?.replayId !== replay.replayId) return false;
          if (current.status !== 'running') return 'finished';
          const progress = `${current.processed} of ${current.total} processed`;
          if (phase === 'at once') return `${phase}, ${progress}`;
          if (phase === 'partitions applied')
            return (current.processed ?? 0) > 0 ? progress : false;
          const state = await groupState(`${projector.groupId}-replay-${replay.replayId}`);
          return state === 'Stable' ? `${phase}, ${progress}` : false;
        },
        { timeoutMs: 120_000, intervalMs: 20, description: `the replay to reach: ${phase}` },
      );
      if (moment === 'finished') {
        log(`replay ${replay.replayId} finished before the kill: another one`);
        await step.done;
        replay = await startReplay();
        continue;
      }
      await killOne(`while replay ${replay.replayId} ran (${moment})`);
      await step.done;
      k += 1;
    }

    for (let k = 0; k < KILLS.after; k += 1) await killWhileStreaming();
    await produceChunks(CHUNKS).done;
    log(`all ${events.length} events produced`);

    const switched = await waitFor(
      async () => {
        const current = await status();
        return current.replay?.replayId === replay.replayId && current.replay.status === 'completed'
          ? current
          : false;
      },
      // A dead member keeps its partitions of the replay group until its session times out.
      { timeoutMs: 120_000, intervalMs: 500, description: `replay ${replay.replayId} to complete` },
    );
    expect(switched.currentGeneration).toBe(replay.generation);
    expect(switched.currentGeneration).not.toBe(firstGeneration);

    const rows = await projector.waitUntilViewIsFoldOf(events, 180_000);
    expect(rows).toHaveLength(ORDERS);
    expect(rows.filter((row) => row.applied_events !== row.version)).toEqual([]);
    // The history commits with the view rows, whichever moment a batch was killed at.
    expect(await projector.historyMismatches()).toEqual([]);
    await projector.waitUntilCommittedAtEnd(60_000);

    await Promise.all(starting);
    expect(live).toHaveLength(INSTANCES);
    for (const instance of live) {
      const ready = await waitFor(
        async () => {
          const response = await fetch(`${instance.url}/health/ready`);
          const body = (await response.json()) as { checks?: { kafka?: { status?: string } } };
          return response.status === 200 ? body : false;
        },
        { timeoutMs: 30_000, description: `${instance.url} to be ready` },
      );
      // Kafka's check is up only while the live consumer is a member, fetching, nothing stuck.
      expect(ready).toMatchObject({
        status: 'ready',
        checks: {
          kafka: {
            status: 'up',
            details: {
              consumers: [{ group: projector.groupId, consuming: true, member: true }],
            },
          },
        },
      });
    }
    // Not asserted: a consumer restarted after a crash says so at error level, by design.
    const errors = output.filter((line) => /"level":(50|60)/.test(line));
    log(`done in ${Math.round((Date.now() - began) / 1000)} s; ${errors.length} error lines`);
    for (const line of errors.slice(0, 10)) log(line);
    passed = true;
  }, 600_000);
});
