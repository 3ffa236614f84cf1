import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Pool, type ClientBase } from 'pg';
import { Repository } from 'typeorm';
import type { OrderEventEnvelope } from '@app/order-events';
import { ParkedEventEntity } from '@app/order-view';
import type { ParkedEvent } from '../view/project-batch';
import type { ParkedEventRow } from '../view/order-view.store';
import {
  decisionKey,
  decisionKeyOf,
  type OperatorDecision,
  type ParkedResolutionKind,
} from '../view/resume-parked';
import type { PoolOrClient } from './pool-or-client';

const PARKED_COLUMNS = `topic, partition, "offset"::text AS "offset", order_id AS "orderId",
  version, event_type AS "eventType", envelope, reason, parked_at AS "parkedAt", resolution,
  resolved_at AS "resolvedAt"`;

/**
 * Parked events (`parked_events`, per generation) and operators' decisions on them
 * (`parked_event_decisions`, by event, across generations) in PostgreSQL. Its statements store,
 * load and lock; writes and locks run on the caller's transaction (`tx`), which decides what
 * commits together.
 */
@Injectable()
export class ParkedEventRepository {
  constructor(
    @Inject(Pool) private readonly pool: Pool,
    @InjectRepository(ParkedEventEntity) private readonly entities: Repository<ParkedEventEntity>,
  ) {}

  async save(generation: number, events: readonly ParkedEvent[], tx: ClientBase): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map((event) => ({
      topic: event.topic,
      partition: event.partition,
      offset: event.offset,
      order_id: event.envelope.orderId,
      version: event.envelope.version,
      event_type: event.envelope.type,
      envelope: event.envelope,
      reason: event.reason,
    }));
    // A batch read again (after a crash or a switch) parks the same offsets again: kept once.
    await tx.query(
      `INSERT INTO parked_events
         (generation, topic, partition, "offset", order_id, version, event_type, envelope, reason)
       SELECT $1, r.topic, r.partition, r."offset", r.order_id, r.version, r.event_type, r.envelope,
              r.reason
         FROM jsonb_to_recordset($2::jsonb) AS r(topic text, partition integer, "offset" bigint,
              order_id text, version integer, event_type text, envelope jsonb, reason text)
       ON CONFLICT DO NOTHING`,
      [generation, JSON.stringify(rows)],
    );
  }

  /** The partition of the order's open parked events; undefined when it has none. */
  async openPartition(
    generation: number,
    orderId: string,
    db: PoolOrClient = this.pool,
  ): Promise<number | undefined> {
    const { rows } = await db.query<{ partition: number }>(
      `SELECT partition FROM parked_events
        WHERE generation = $1 AND order_id = $2 AND resolution IS NULL LIMIT 1`,
      [generation, orderId],
    );
    return rows[0]?.partition;
  }

  /** The order's open parked events, in version order; locked until `tx` ends. */
  async lockOpen(generation: number, orderId: string, tx: ClientBase): Promise<ParkedEventRow[]> {
    const { rows } = await tx.query<ParkedEventRow>(
      `SELECT ${PARKED_COLUMNS} FROM parked_events
        WHERE generation = $1 AND order_id = $2 AND resolution IS NULL
        ORDER BY version, "offset" FOR UPDATE`,
      [generation, orderId],
    );
    return rows;
  }

  async resolve(
    generation: number,
    resolved: readonly { event: ParkedEventRow; resolution: ParkedResolutionKind }[],
    tx: ClientBase,
  ): Promise<void> {
    if (resolved.length === 0) return;
    await tx.query(
      `UPDATE parked_events p SET resolution = r.resolution, resolved_at = now()
         FROM jsonb_to_recordset($2::jsonb) AS r(topic text, partition integer, "offset" bigint,
              resolution text)
        WHERE p.generation = $1 AND p.topic = r.topic AND p.partition = r.partition
          AND p."offset" = r."offset"`,
      [
        generation,
        JSON.stringify(
          resolved.map(({ event, resolution }) => ({
            topic: event.topic,
            partition: event.partition,
            offset: event.offset,
            resolution,
          })),
        ),
      ],
    );
  }

  async updateReason(
    generation: number,
    event: ParkedEventRow,
    reason: string,
    tx: ClientBase,
  ): Promise<void> {
    await tx.query(
      `UPDATE parked_events SET reason = $5
        WHERE generation = $1 AND topic = $2 AND partition = $3 AND "offset" = $4`,
      [generation, event.topic, event.partition, event.offset, reason],
    );
  }

  /** Parked events of the generation, open ones first, then the most recently resolved. */
  async list(generation: number, limit: number): Promise<ParkedEventRow[]> {
    const entities = await this.entities
      .createQueryBuilder('p')
      .where('p.generation = :generation', { generation })
      .orderBy('p.resolution IS NOT NULL', 'ASC')
      .addOrderBy('coalesce(p.resolvedAt, p.parkedAt)', 'DESC')
      .addOrderBy('p.orderId', 'ASC')
      .addOrderBy('p.version', 'ASC')
      .limit(limit)
      .getMany();
    return entities.map(parkedEventRow);
  }

  /** Orders of the current generation with open parked events. */
  async countParkedOrders(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(DISTINCT order_id)::int AS n FROM parked_events p
         JOIN order_view_state s ON p.generation = s.current_generation
        WHERE p.resolution IS NULL`,
    );
    return rows[0].n;
  }

  /** Operators' decisions on events of `orderIds`, taken in any generation, by decisionKey. */
  async loadDecisions(
    orderIds: readonly string[],
    db: PoolOrClient = this.pool,
  ): Promise<Map<string, OperatorDecision>> {
    if (orderIds.length === 0) return new Map();
    const { rows } = await db.query<{
      order_id: string;
      version: number;
      event_id: string;
      decision: OperatorDecision;
    }>(
      `SELECT order_id, version, event_id, decision FROM parked_event_decisions
        WHERE order_id = ANY($1::text[])`,
      [orderIds],
    );
    return new Map(
      rows.map((row) => [decisionKey(row.order_id, row.version, row.event_id), row.decision]),
    );
  }

  async saveDecisions(
    decisions: readonly { envelope: OrderEventEnvelope; decision: OperatorDecision }[],
    tx: ClientBase,
  ): Promise<void> {
    if (decisions.length === 0) return;
    const rows = new Map(
      decisions.map(({ envelope, decision }) => [
        decisionKeyOf(envelope),
        {
          order_id: envelope.orderId,
          version: envelope.version,
          event_id: envelope.eventId,
          decision,
        },
      ]),
    );
    await tx.query(
      `INSERT INTO parked_event_decisions (order_id, version, event_id, decision)
       SELECT r.order_id, r.version, r.event_id, r.decision
         FROM jsonb_to_recordset($1::jsonb) AS r(order_id text, version integer, event_id text,
              decision text)
       ON CONFLICT (order_id, version, event_id) DO UPDATE
          SET decision = EXCLUDED.decision, decided_at = now()`,
      [JSON.stringify([...rows.values()])],
    );
  }
}

/** The stored row as the writer and the admin API see it (no generation; the API's field order). */
function parkedEventRow(entity: ParkedEventEntity): ParkedEventRow {
  return {
    topic: entity.topic,
    partition: entity.partition,
    offset: entity.offset,
    orderId: entity.orderId,
    version: entity.version,
    eventType: entity.eventType,
    envelope: entity.envelope as unknown as OrderEventEnvelope,
    reason: entity.reason,
    parkedAt: entity.parkedAt,
    resolution: entity.resolution as ParkedResolutionKind | null,
    resolvedAt: entity.resolvedAt,
  };
}
