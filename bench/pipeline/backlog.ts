import type { Admin } from 'kafkajs';
import type { Pool } from 'pg';
import { outboxDepth } from '../commands/outbox-publishing';
import { checkpointOffsets } from '../projector/catch-up';

/** Work accepted but not yet readable: events waiting in the outbox, and on the topic. */
export interface Backlog {
  /** Outbox rows the relay has not published yet. */
  outbox: number;
  /** Records on the topic past the current generation's checkpoints. */
  projector: number;
}

/**
 * Reads both backlogs as an operator would: the outbox table's rows, and the topic's end offsets
 * against the projector's checkpoints (the offsets it has written to the view).
 */
export class BacklogProbe {
  constructor(
    private readonly writeDb: Pool,
    private readonly readDb: Pool,
    private readonly admin: Admin,
    private readonly topic: string,
  ) {}

  async read(): Promise<Backlog> {
    const [outbox, ends, reached] = await Promise.all([
      outboxDepth(this.writeDb),
      this.admin.fetchTopicOffsets(this.topic),
      checkpointOffsets(this.readDb, this.topic),
    ]);
    const projector = ends.reduce(
      (sum, end) => sum + Math.max(0, Number(end.high) - (reached.get(end.partition) ?? 0)),
      0,
    );
    return { outbox, projector };
  }

  /** Polls until nothing is waiting; false if something still is at the deadline. */
  async drained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { outbox, projector } = await this.read();
      if (outbox === 0 && projector === 0) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
