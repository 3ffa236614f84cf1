import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Pool, type ClientBase } from 'pg';
import { Repository } from 'typeorm';
import { isUniqueViolation, withTransaction } from '@app/database';
import type { TopicPartitionOffset } from '@app/kafka';
import { OrderViewReplayEntity } from '@app/order-view';
import type { PoolOrClient } from './pool-or-client';

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

const REPLAY_COLUMNS = `replay_id AS "replayId", generation, status,
  target_offsets AS "targetOffsets", total_events::float8 AS "totalEvents",
  started_at AS "startedAt", finished_at AS "finishedAt"`;

/**
 * The replays of the view (`order_view_replays`) in PostgreSQL. Its statements store, load and
 * lock; a write that must commit with others (the switch's) runs on the caller's transaction.
 */
@Injectable()
export class ReplayRepository {
  constructor(
    @Inject(Pool) private readonly pool: Pool,
    @InjectRepository(OrderViewReplayEntity)
    private readonly entities: Repository<OrderViewReplayEntity>,
  ) {}

  /**
   * Records a running replay into the next unused generation, up to the end offsets it will
   * read, and creates that generation's partitions; refused with ReplayAlreadyRunningError while
   * one is running. Its own transaction, which first locks the view's state row for update: that
   * waits for operators' resolutions in flight (they lock it in share mode), so each one either
   * commits its decisions before this replay reads a record, or sees this replay running and
   * resolves its generation too.
   */
  async insert(replayId: string, endOffsets: readonly TopicPartitionOffset[]): Promise<Replay> {
    const targetOffsets = Object.fromEntries(
      endOffsets.map((e) => [String(e.partition), e.offset]),
    );
    const total = endOffsets.reduce((sum, e) => sum + BigInt(e.offset), 0n);
    try {
      return await withTransaction(this.pool, async (tx) => {
        await tx.query('SELECT 1 FROM order_view_state FOR UPDATE');
        const { rows } = await tx.query<Replay>(
          `INSERT INTO order_view_replays (replay_id, generation, status, target_offsets, total_events)
           SELECT $1, greatest(s.current_generation,
                               (SELECT coalesce(max(generation), 0) FROM order_view_replays)) + 1,
                  'running', $2, $3
             FROM order_view_state s
           RETURNING ${REPLAY_COLUMNS}`,
          [replayId, JSON.stringify(targetOffsets), total.toString()],
        );
        // The generation's partitions (migration 0006).
        await tx.query('SELECT order_view_add_generation($1)', [rows[0].generation]);
        return rows[0];
      });
    } catch (error) {
      // The partial unique index allows one running replay; the generation is unique as well.
      if (isUniqueViolation(error)) throw new ReplayAlreadyRunningError();
      throw error;
    }
  }

  async markFailed(replay: Replay, error: string): Promise<void> {
    await this.pool.query(
      `UPDATE order_view_replays SET status = 'failed', error = $2, finished_at = now()
        WHERE replay_id = $1 AND status = 'running'`,
      [replay.replayId, error.slice(0, 1_000)],
    );
  }

  /** Marks the running replay cancelled, if one runs. */
  async cancelRunning(): Promise<Replay | undefined> {
    const { rows } = await this.pool.query<Replay>(
      `UPDATE order_view_replays SET status = 'cancelled', finished_at = now()
        WHERE status = 'running' RETURNING ${REPLAY_COLUMNS}`,
    );
    return rows[0];
  }

  /** The running replay, if one runs (at most one does: a partial unique index). */
  async running(): Promise<Replay | undefined> {
    const entity = await this.entities.findOneBy({ status: 'running' });
    return entity ? replayOf(entity) : undefined;
  }

  /** The generation a running replay is building, if one runs. */
  async generationBeingBuilt(db: PoolOrClient = this.pool): Promise<number | undefined> {
    const { rows } = await db.query<{ generation: number }>(
      `SELECT generation FROM order_view_replays WHERE status = 'running'`,
    );
    return rows[0]?.generation;
  }

  /** The replay into the newest generation, running or finished. */
  async latest(): Promise<Replay | undefined> {
    const [entity] = await this.entities.find({ order: { generation: 'DESC' }, take: 1 });
    return entity ? replayOf(entity) : undefined;
  }

  /** Locks the replay's row until `tx` ends if it is still running; false if it is not. */
  async lockIfRunning(replayId: string, tx: ClientBase): Promise<boolean> {
    const { rowCount } = await tx.query(
      `SELECT 1 FROM order_view_replays WHERE replay_id = $1 AND status = 'running' FOR UPDATE`,
      [replayId],
    );
    return (rowCount ?? 0) > 0;
  }

  /** On the switch's transaction, with the generation made current. */
  async markCompleted(replayId: string, tx: ClientBase): Promise<void> {
    await tx.query(
      `UPDATE order_view_replays SET status = 'completed', finished_at = now() WHERE replay_id = $1`,
      [replayId],
    );
  }
}

function replayOf(entity: OrderViewReplayEntity): Replay {
  return {
    replayId: entity.replayId,
    generation: entity.generation,
    status: entity.status as Replay['status'],
    targetOffsets: entity.targetOffsets as Record<string, string>,
    // bigint comes as text; a count of events stays far below 2^53.
    totalEvents: Number(entity.totalEvents),
    startedAt: entity.startedAt,
    finishedAt: entity.finishedAt,
  };
}
