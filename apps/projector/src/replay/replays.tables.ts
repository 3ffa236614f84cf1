import type { ClientBase, Pool } from 'pg';
import { isUniqueViolation, withTransaction } from '@app/database';
import type { TopicPartitionOffset } from '@app/kafka';
import { VIEW_CHANGED_CHANNEL } from '@app/order-view';
import { readCheckpoints } from '../view/order-view.tables';

export interface Replay {
  replayId: string;
  generation: number;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  /** Per partition, the topic's end offset when the replay started. */
  targetOffsets: Record<string, string>;
  totalEvents: number;
  startedAt: Date;
  finishedAt: Date | null;
}

export class ReplayAlreadyRunningError extends Error {
  constructor() {
    super('A replay of the order view is already running');
    this.name = 'ReplayAlreadyRunningError';
  }
}

export class ReplayNotRunningError extends Error {
  constructor() {
    super('No replay of the order view is running');
    this.name = 'ReplayNotRunningError';
  }
}

const REPLAY_COLUMNS = `replay_id AS "replayId", generation, status,
  target_offsets AS "targetOffsets", total_events::float8 AS "totalEvents",
  started_at AS "startedAt", finished_at AS "finishedAt"`;

/** Records a new replay into the next unused generation; refuses while one is running. */
export async function insertReplay(
  pool: Pool,
  replayId: string,
  endOffsets: TopicPartitionOffset[],
): Promise<Replay> {
  const targetOffsets = Object.fromEntries(endOffsets.map((e) => [String(e.partition), e.offset]));
  const total = endOffsets.reduce((sum, e) => sum + BigInt(e.offset), 0n);
  try {
    return await withTransaction(pool, async (client) => {
      // Waits for operators' resolutions in flight (they lock it in share mode): each one either
      // commits its decisions before this replay reads a record, or sees this replay running.
      await client.query('SELECT 1 FROM order_view_state FOR UPDATE');
      const { rows } = await client.query<Replay>(
        `INSERT INTO order_view_replays (replay_id, generation, status, target_offsets, total_events)
         SELECT $1, greatest(s.current_generation,
                             (SELECT coalesce(max(generation), 0) FROM order_view_replays)) + 1,
                'running', $2, $3
           FROM order_view_state s
         RETURNING ${REPLAY_COLUMNS}`,
        [replayId, JSON.stringify(targetOffsets), total.toString()],
      );
      return rows[0];
    });
  } catch (error) {
    // The partial unique index allows one running replay; the generation is unique as well.
    if (isUniqueViolation(error)) throw new ReplayAlreadyRunningError();
    throw error;
  }
}

export async function markReplayFailed(pool: Pool, replay: Replay, error: string): Promise<void> {
  await pool.query(
    `UPDATE order_view_replays SET status = 'failed', error = $2, finished_at = now()
      WHERE replay_id = $1 AND status = 'running'`,
    [replay.replayId, error.slice(0, 1_000)],
  );
}

/** Marks the running replay cancelled; the instances running it stop at their next tick. */
export async function cancelRunningReplay(pool: Pool): Promise<Replay | undefined> {
  const { rows } = await pool.query<Replay>(
    `UPDATE order_view_replays SET status = 'cancelled', finished_at = now()
      WHERE status = 'running' RETURNING ${REPLAY_COLUMNS}`,
  );
  return rows[0];
}

export async function runningReplay(db: Pool | ClientBase): Promise<Replay | undefined> {
  const { rows } = await db.query<Replay>(
    `SELECT ${REPLAY_COLUMNS} FROM order_view_replays WHERE status = 'running'`,
  );
  return rows[0];
}

export async function latestReplay(db: Pool): Promise<Replay | undefined> {
  const { rows } = await db.query<Replay>(
    `SELECT ${REPLAY_COLUMNS} FROM order_view_replays ORDER BY generation DESC LIMIT 1`,
  );
  return rows[0];
}

export interface ReplayProgress {
  processed: number;
  total: number;
  /** Every partition reached the end offset it had when the replay started. */
  caughtUp: boolean;
}

export async function replayProgress(
  pool: Pool,
  replay: Replay,
  topic: string,
): Promise<ReplayProgress> {
  const checkpoints = await readCheckpoints(pool, replay.generation, topic);
  let processed = 0n;
  let caughtUp = true;
  for (const [partition, target] of Object.entries(replay.targetOffsets)) {
    const reached = BigInt(checkpoints.get(Number(partition))?.nextOffset ?? '0');
    const goal = BigInt(target);
    processed += reached < goal ? reached : goal;
    if (reached < goal) caughtUp = false;
  }
  return { processed: Number(processed), total: replay.totalEvents, caughtUp };
}

const SWITCH_POLL_MS = 50;

/**
 * Makes the replay's generation current, in one transaction, once it holds at least every
 * event the current one holds. Locking the state row for update holds back the live
 * consumer's batches (they lock it in share mode), so the current generation stands still while
 * the replay closes the last gap; reads never wait, they take no locks. Returns false, changing
 * nothing, when the gap does not close within `withinMs` or the replay is no longer running.
 */
export async function switchToReplayedGeneration(
  pool: Pool,
  replay: Replay,
  topic: string,
  withinMs: number,
): Promise<boolean> {
  const gapStillOpen = new Error('the replay did not close the gap in time');
  try {
    return await switchWithin(pool, replay, topic, withinMs, gapStillOpen);
  } catch (error) {
    if (error === gapStillOpen) return false;
    throw error;
  }
}

async function switchWithin(
  pool: Pool,
  replay: Replay,
  topic: string,
  withinMs: number,
  gapStillOpen: Error,
): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ current_generation: number }>(
      'SELECT current_generation FROM order_view_state FOR UPDATE',
    );
    const current = rows[0].current_generation;
    const still = await client.query(
      `SELECT 1 FROM order_view_replays WHERE replay_id = $1 AND status = 'running' FOR UPDATE`,
      [replay.replayId],
    );
    if (still.rowCount === 0) return false;
    const deadline = Date.now() + withinMs;
    while ((await partitionsBehind(client, replay.generation, current, topic)) > 0) {
      // Thrown so that the transaction rolls back and the live consumer goes on.
      if (Date.now() > deadline) throw gapStillOpen;
      await new Promise((resolve) => setTimeout(resolve, SWITCH_POLL_MS));
    }
    await client.query('UPDATE order_view_state SET current_generation = $1', [replay.generation]);
    await client.query(
      `UPDATE order_view_replays SET status = 'completed', finished_at = now() WHERE replay_id = $1`,
      [replay.replayId],
    );
    await client.query('SELECT pg_notify($1, $2)', [VIEW_CHANGED_CHANNEL, '']);
    return true;
  });
}

/** Partitions where `building` has read less than `current` (each statement sees new commits). */
async function partitionsBehind(
  client: ClientBase,
  building: number,
  current: number,
  topic: string,
): Promise<number> {
  const { rows } = await client.query<{ behind: number }>(
    `SELECT count(*)::int AS behind
       FROM projection_checkpoints c
       LEFT JOIN projection_checkpoints b
              ON b.generation = $1 AND b.topic = c.topic AND b.partition = c.partition
      WHERE c.generation = $2 AND c.topic = $3 AND coalesce(b.next_offset, 0) < c.next_offset`,
    [building, current, topic],
  );
  return rows[0].behind;
}

const DELETE_CHUNK = 10_000;

/**
 * Removes the rows of generations (view, history, parked events, checkpoints) that neither serve
 * reads nor are being built: the one a replay replaced, or a failed or cancelled replay's. In
 * chunks, so no transaction grows large.
 */
export async function deleteRetiredGenerations(pool: Pool): Promise<number> {
  const keep = `(SELECT current_generation FROM order_view_state
                 UNION ALL SELECT generation FROM order_view_replays WHERE status = 'running')`;
  let deleted = 0;
  for (const table of ['order_view', 'order_history', 'parked_events']) {
    for (;;) {
      const { rowCount } = await pool.query(
        `DELETE FROM ${table} WHERE ctid IN (
           SELECT ctid FROM ${table} WHERE generation NOT IN ${keep} LIMIT ${DELETE_CHUNK})`,
      );
      deleted += rowCount ?? 0;
      if (!rowCount) break;
    }
  }
  await pool.query(`DELETE FROM projection_checkpoints WHERE generation NOT IN ${keep}`);
  return deleted;
}
