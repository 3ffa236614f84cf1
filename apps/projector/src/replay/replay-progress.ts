import type { Replay } from '../persistence/replay.repository';
import type { Checkpoint } from '../view/checkpoint.store';

export interface ReplayProgress {
  processed: number;
  total: number;
  /** Every partition reached the end offset it had when the replay started. */
  caughtUp: boolean;
}

/** How far a replay got: its generation's checkpoints against the end offsets it set out for. */
export function replayProgress(
  replay: Pick<Replay, 'targetOffsets' | 'totalEvents'>,
  checkpoints: ReadonlyMap<number, Checkpoint>,
): ReplayProgress {
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
