import { Inject, Injectable } from '@nestjs/common';
import { Pool, type ClientBase } from 'pg';
import { CheckpointStore, type Checkpoint } from '../view/checkpoint.store';
import type { PoolOrClient } from './pool-or-client';

/**
 * The checkpoints in PostgreSQL (`projection_checkpoints`: generation, topic, partition → next
 * offset), the CheckpointStore the projection module binds. A batch writes its checkpoint in the
 * statement of its rows (OrderViewRepository.saveBatch), never on its own.
 */
@Injectable()
export class CheckpointRepository extends CheckpointStore {
  constructor(@Inject(Pool) private readonly pool: Pool) {
    super();
  }

  async read(
    generation: number,
    topic: string,
    db: PoolOrClient = this.pool,
  ): Promise<Map<number, Checkpoint>> {
    const { rows } = await db.query<{
      partition: number;
      next_offset: string;
      last_event_at: Date | null;
    }>(
      `SELECT partition, next_offset::text, last_event_at FROM projection_checkpoints
        WHERE generation = $1 AND topic = $2`,
      [generation, topic],
    );
    return new Map(
      rows.map((row) => [
        row.partition,
        { partition: row.partition, nextOffset: row.next_offset, lastEventAt: row.last_event_at },
      ]),
    );
  }

  /**
   * Partitions of `topic` where generation `building` has read less than `current`. Each
   * statement sees what committed before it, so a caller polling in one transaction sees the gap
   * close.
   */
  async partitionsBehind(
    building: number,
    current: number,
    topic: string,
    tx: ClientBase,
  ): Promise<number> {
    const { rows } = await tx.query<{ behind: number }>(
      `SELECT count(*)::int AS behind
         FROM projection_checkpoints c
         LEFT JOIN projection_checkpoints b
                ON b.generation = $1 AND b.topic = c.topic AND b.partition = c.partition
        WHERE c.generation = $2 AND c.topic = $3 AND coalesce(b.next_offset, 0) < c.next_offset`,
      [building, current, topic],
    );
    return rows[0].behind;
  }
}
