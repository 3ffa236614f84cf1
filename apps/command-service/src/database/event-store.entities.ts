import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The write database's tables as TypeORM entities. The schema is the migrations'
 * (apps/command-service/migrations/*.sql): these classes describe it, column for column with the
 * same types, and `event-store.entities.int-spec.ts` checks them against a migrated database.
 * bigint columns are strings (pg returns them so).
 */

/** The source of truth: an order's events, numbered 1, 2, … without gaps. */
@Entity({ name: 'order_events' })
export class OrderEventEntity {
  @PrimaryColumn({ type: 'text', name: 'order_id' })
  orderId!: string;

  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @Column({ type: 'uuid', name: 'event_id', unique: true })
  eventId!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;

  @Column({ type: 'jsonb' })
  metadata!: Record<string, unknown>;

  @Column({ type: 'timestamptz', name: 'occurred_at' })
  occurredAt!: Date;

  @Column({ type: 'timestamptz', name: 'recorded_at', default: () => 'now()' })
  recordedAt!: Date;

  /** The schema version of `data` (libs/order-events/src/schemas). */
  @Column({ type: 'integer', name: 'schema_version', default: 1 })
  schemaVersion!: number;
}

/** An event waiting to be published, written in the same transaction as order_events. */
@Entity({ name: 'outbox' })
export class OutboxEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ type: 'uuid', name: 'event_id', unique: true })
  eventId!: string;

  @Column({ type: 'text', name: 'order_id' })
  orderId!: string;

  /** The Kafka record's value, as sent. */
  @Column({ type: 'text' })
  payload!: string;

  @Column({ type: 'jsonb' })
  headers!: Record<string, string>;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt!: Date;
}

/** The first response to a command sent with an Idempotency-Key. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyEntity {
  @PrimaryColumn({ type: 'text' })
  key!: string;

  @Column({ type: 'text', name: 'request_hash' })
  requestHash!: string;

  /** Written for instances of the previous release during a rolling deploy; see response_text. */
  @Column({ type: 'jsonb', nullable: true })
  response!: Record<string, unknown> | null;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  /** The response as the exact JSON text first sent. */
  @Column({ type: 'text', name: 'response_text', nullable: true })
  responseText!: string | null;
}

/** Which instance relays the outbox, and until when. One row. */
@Entity({ name: 'outbox_relay_lease' })
export class OutboxRelayLeaseEntity {
  @PrimaryColumn({ type: 'boolean', default: true })
  singleton!: boolean;

  @Column({ type: 'bigint' })
  term!: string;

  @Column({ type: 'text' })
  holder!: string;

  @Column({ type: 'integer', name: 'holder_pid' })
  holderPid!: number;

  @Column({ type: 'timestamptz', name: 'expires_at' })
  expiresAt!: Date;
}

export const EVENT_STORE_ENTITIES = [
  OrderEventEntity,
  OutboxEntity,
  IdempotencyKeyEntity,
  OutboxRelayLeaseEntity,
];
