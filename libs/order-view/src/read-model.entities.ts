import { Column, Entity, PrimaryColumn, ViewEntity } from 'typeorm';
import { CURRENT_ORDER_HISTORY, CURRENT_ORDER_VIEW } from './read-model';

/**
 * The read database's tables and views as TypeORM entities. The schema is the migrations'
 * (migrations/*.sql): these classes describe it, column for column with the same types, and
 * `read-model.entities.int-spec.ts` checks them against a migrated database. bigint columns are
 * strings (pg returns them so, beyond 2^53 a number would lose digits).
 */

/** Which generation serves reads. One row. */
@Entity({ name: 'order_view_state' })
export class OrderViewStateEntity {
  @PrimaryColumn({ type: 'boolean', default: true })
  singleton!: boolean;

  @Column({ type: 'integer', name: 'current_generation' })
  currentGeneration!: number;
}

/** One order of one generation of the view. */
@Entity({ name: 'order_view' })
export class OrderViewEntity {
  @PrimaryColumn({ type: 'integer' })
  generation!: number;

  @PrimaryColumn({ type: 'text', name: 'order_id' })
  orderId!: string;

  @Column({ type: 'text', name: 'customer_id' })
  customerId!: string;

  @Column({ type: 'text' })
  status!: string;

  @Column({ type: 'timestamptz', name: 'placed_at' })
  placedAt!: Date;

  /** The version of the last event applied. */
  @Column({ type: 'integer' })
  version!: number;

  /** How many events were applied: equal to version unless an operator skipped one. */
  @Column({ type: 'integer', name: 'applied_events' })
  appliedEvents!: number;

  /** The order as GET /orders/:id returns it (json: written and read whole, migration 0007). */
  @Column({ type: 'json' })
  document!: Record<string, unknown>;

  /** The id of the event behind each version (element version), where known. */
  @Column({ type: 'text', array: true, name: 'event_ids', default: () => "'{}'" })
  eventIds!: string[];
}

/** Per generation and partition, the next offset to read. */
@Entity({ name: 'projection_checkpoints' })
export class ProjectionCheckpointEntity {
  @PrimaryColumn({ type: 'integer' })
  generation!: number;

  @PrimaryColumn({ type: 'text' })
  topic!: string;

  @PrimaryColumn({ type: 'integer' })
  partition!: number;

  @Column({ type: 'bigint', name: 'next_offset' })
  nextOffset!: string;

  @Column({ type: 'timestamptz', name: 'last_event_at', nullable: true })
  lastEventAt!: Date | null;

  @Column({ type: 'timestamptz', name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;
}

/** An event that decodes but cannot be applied, or a later event of its order. */
@Entity({ name: 'parked_events' })
export class ParkedEventEntity {
  @PrimaryColumn({ type: 'integer' })
  generation!: number;

  @PrimaryColumn({ type: 'text' })
  topic!: string;

  @PrimaryColumn({ type: 'integer' })
  partition!: number;

  @PrimaryColumn({ type: 'bigint' })
  offset!: string;

  @Column({ type: 'text', name: 'order_id' })
  orderId!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'text', name: 'event_type' })
  eventType!: string;

  @Column({ type: 'jsonb' })
  envelope!: Record<string, unknown>;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'timestamptz', name: 'parked_at', default: () => 'now()' })
  parkedAt!: Date;

  /** NULL while parked; then 'applied', 'skipped' or 'duplicate'. */
  @Column({ type: 'text', nullable: true })
  resolution!: string | null;

  @Column({ type: 'timestamptz', name: 'resolved_at', nullable: true })
  resolvedAt!: Date | null;
}

/** A replay into a new generation. */
@Entity({ name: 'order_view_replays' })
export class OrderViewReplayEntity {
  @PrimaryColumn({ type: 'uuid', name: 'replay_id' })
  replayId!: string;

  @Column({ type: 'integer', unique: true })
  generation!: number;

  /** 'running', 'completed', 'failed' or 'cancelled'. */
  @Column({ type: 'text' })
  status!: string;

  /** The topic's end offsets when the replay started. */
  @Column({ type: 'jsonb', name: 'target_offsets' })
  targetOffsets!: Record<string, unknown>;

  @Column({ type: 'bigint', name: 'total_events' })
  totalEvents!: string;

  @Column({ type: 'timestamptz', name: 'started_at', default: () => 'now()' })
  startedAt!: Date;

  @Column({ type: 'timestamptz', name: 'finished_at', nullable: true })
  finishedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;
}

/** An operator's decision on a parked event, by event id, carried into later replays. */
@Entity({ name: 'parked_event_decisions' })
export class ParkedEventDecisionEntity {
  @PrimaryColumn({ type: 'text', name: 'order_id' })
  orderId!: string;

  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @PrimaryColumn({ type: 'text', name: 'event_id' })
  eventId!: string;

  /** 'skip' or 'retry'. */
  @Column({ type: 'text' })
  decision!: string;

  @Column({ type: 'timestamptz', name: 'decided_at', default: () => 'now()' })
  decidedAt!: Date;
}

/** One applied event of an order's history, per generation. */
@Entity({ name: 'order_history' })
export class OrderHistoryEntity {
  @PrimaryColumn({ type: 'integer' })
  generation!: number;

  @PrimaryColumn({ type: 'text', name: 'order_id' })
  orderId!: string;

  @PrimaryColumn({ type: 'integer' })
  version!: number;

  /** eventId, type, version, occurredAt, data, correlationId (json, as the view's document). */
  @Column({ type: 'json' })
  entry!: Record<string, unknown>;
}

// The views are the migrations' too (`synchronize: false`: TypeORM neither creates nor tracks
// them). Their columns are declared with @Column rather than @ViewColumn to state their types,
// which the schema check compares as it does a table's.

/** The order view's rows of the generation serving reads. */
@ViewEntity({ name: CURRENT_ORDER_VIEW, synchronize: false })
export class CurrentOrderViewEntity {
  @Column({ type: 'text', name: 'order_id' })
  orderId!: string;

  @Column({ type: 'text', name: 'customer_id' })
  customerId!: string;

  @Column({ type: 'text' })
  status!: string;

  @Column({ type: 'timestamptz', name: 'placed_at' })
  placedAt!: Date;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'json' })
  document!: Record<string, unknown>;
}

/** Each order's history entries of the generation serving reads. */
@ViewEntity({ name: CURRENT_ORDER_HISTORY, synchronize: false })
export class CurrentOrderHistoryEntity {
  @Column({ type: 'text', name: 'order_id' })
  orderId!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'json' })
  entry!: Record<string, unknown>;
}

export const READ_MODEL_ENTITIES = [
  OrderViewStateEntity,
  OrderViewEntity,
  ProjectionCheckpointEntity,
  ParkedEventEntity,
  OrderViewReplayEntity,
  ParkedEventDecisionEntity,
  OrderHistoryEntity,
  CurrentOrderViewEntity,
  CurrentOrderHistoryEntity,
];
