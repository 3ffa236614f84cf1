import type { Pool } from 'pg';
import type { PublishRate } from '../commands/outbox-publishing';

const POLL_MS = 50;
const PROGRESS_EVERY_MS = 10_000;

export interface CatchUpOptions {
  /** False once the projector has exited: waiting on would only run into the deadline. */
  isAlive: () => boolean;
  log: (message: string) => void;
  timeoutMs?: number;
}

export interface CatchUp {
  /** The first poll that saw events projected; undefined if it saw all of them at once. */
  firstProgress?: { at: bigint; projected: number };
  doneAt: bigint;
  total: number;
}

/**
 * Polls the current generation's checkpoints every 50 ms until each partition's reaches its
 * end offset, saying how far it got every 10 s.
 */
export async function waitUntilCaughtUp(
  db: Pool,
  topic: string,
  endOffsets: ReadonlyMap<number, number>,
  { isAlive, log, timeoutMs = 900_000 }: CatchUpOptions,
): Promise<CatchUp> {
  const total = [...endOffsets.values()].reduce((sum, end) => sum + end, 0);
  const deadline = Date.now() + timeoutMs;
  let firstProgress: CatchUp['firstProgress'];
  let reported = Date.now();
  for (;;) {
    const projected = await eventsProjected(db, topic, endOffsets);
    const now = process.hrtime.bigint();
    if (projected === total) return { firstProgress, doneAt: now, total };
    if (firstProgress === undefined && projected > 0) firstProgress = { at: now, projected };
    if (!isAlive()) throw new Error('the projector exited while catching up');
    if (Date.now() > deadline) throw new Error(`the projector is at ${projected} of ${total}`);
    if (Date.now() - reported >= PROGRESS_EVERY_MS) {
      reported = Date.now();
      log(`${projected} of ${total} events projected`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * The projector's rate through a topic it has not started on yet. The clock starts at the
 * first poll that sees events projected, so neither its boot nor its joining the group is
 * counted; the rate is the events left at that poll over the time until none are (as
 * bench:commands times the outbox relay).
 */
export async function timeCatchUp(
  db: Pool,
  topic: string,
  endOffsets: ReadonlyMap<number, number>,
  options: CatchUpOptions,
): Promise<PublishRate> {
  const { firstProgress, doneAt, total } = await waitUntilCaughtUp(db, topic, endOffsets, options);
  if (!firstProgress)
    throw new Error('the projector caught up before the first poll: nothing to time');
  const seconds = Number(doneAt - firstProgress.at) / 1e9;
  const events = total - firstProgress.projected;
  return { events, seconds, eventsPerSecond: events / seconds };
}

/** Events the current generation has read from `topic`, counted up to `endOffsets`. */
export async function eventsProjected(
  db: Pool,
  topic: string,
  endOffsets: ReadonlyMap<number, number>,
): Promise<number> {
  const reached = await checkpointOffsets(db, topic);
  let projected = 0;
  for (const [partition, end] of endOffsets) {
    projected += Math.min(reached.get(partition) ?? 0, end);
  }
  return projected;
}

/** Per partition of `topic`, the next offset the view's current generation will read. */
export async function checkpointOffsets(db: Pool, topic: string): Promise<Map<number, number>> {
  const { rows } = await db.query<{ partition: number; next_offset: string }>(
    `SELECT partition, next_offset::text FROM projection_checkpoints c
       JOIN order_view_state s ON c.generation = s.current_generation WHERE topic = $1`,
    [topic],
  );
  return new Map(rows.map((row) => [row.partition, Number(row.next_offset)]));
}
