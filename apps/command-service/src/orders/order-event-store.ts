import type { OrderEvent } from '@app/order-domain';
import {
  latestSchemaVersion,
  type OrderEventEnvelope,
  type OrderEventMetadata,
  timeOrderedUuid,
} from '@app/order-events';
import type { IdempotencyClaim } from './idempotency-keys';

/**
 * The envelopes an append stores for `events`: versions expectedVersion+1, +2, …, each a new
 * event id, at the newest schema version of its type (writers always write the newest).
 */
export function envelopesFor(
  orderId: string,
  expectedVersion: number,
  events: readonly OrderEvent[],
  metadata: OrderEventMetadata,
): OrderEventEnvelope[] {
  return events.map(
    (event, index) =>
      ({
        eventId: timeOrderedUuid(),
        type: event.type,
        orderId,
        version: expectedVersion + index + 1,
        occurredAt: event.occurredAt,
        schemaVersion: latestSchemaVersion(event.type),
        data: event.data,
        metadata,
      }) as OrderEventEnvelope,
  );
}

/** Another writer appended to the order after it was read: the decision was made on stale state. */
export class StreamVersionConflictError extends Error {
  constructor(
    readonly orderId: string,
    readonly expectedVersion: number,
  ) {
    super(`Order ${orderId} moved past version ${expectedVersion} while the command was decided`);
    this.name = 'StreamVersionConflictError';
  }
}

/**
 * A stored event this code cannot read: a type or schema version it does not know (a newer
 * instance wrote it: readers must be deployed before writers), or data its schema refuses.
 */
export class UnreadableStoredEventError extends Error {
  constructor(
    readonly orderId: string,
    readonly version: number,
    readonly reason: string,
    /** A newer writer's event: another (newer) instance can read it. */
    readonly unknown: boolean,
  ) {
    super(`Event ${version} of order ${orderId} cannot be read: ${reason}`);
    this.name = 'UnreadableStoredEventError';
  }
}

/**
 * What one attempt of a command may do, all inside one transaction: everything it wrote commits
 * together when the work resolves, or nothing does when it throws.
 */
export interface OrderStoreTransaction {
  /** The order's events in version order, each upcast to the newest version of its type. */
  readStream(orderId: string): Promise<OrderEventEnvelope[]>;

  /**
   * Appends `events` as versions expectedVersion+1, +2, … with their outbox records (an event is
   * stored if and only if it will be published). When another writer appended any of those
   * versions, this append or the commit fails with StreamVersionConflictError, never overwrites.
   */
  append(
    orderId: string,
    expectedVersion: number,
    events: readonly OrderEvent[],
    metadata: OrderEventMetadata,
  ): Promise<OrderEventEnvelope[]>;

  /**
   * Claims an Idempotency-Key for this transaction, or answers the response recorded under it.
   * A concurrent claim of the same key waits until this transaction ends: it replays what this
   * one committed, or claims the key itself if this one rolled back. The same key with another
   * fingerprint throws IdempotencyKeyReusedError.
   */
  claimIdempotencyKey<T>(key: string, fingerprint: string): Promise<IdempotencyClaim<T>>;

  /** Records the response a claimed key replays; its JSON text is kept byte for byte. */
  recordResponse(key: string, response: unknown): Promise<void>;
}

/**
 * The write side's event store (the port; the module binds the PostgreSQL adapter). Optimistic
 * concurrency per order: an append at a version another writer took fails instead of
 * overwriting, so a decision is never made on a state that no longer is.
 */
export abstract class OrderEventStore {
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  abstract transaction<T>(work: (tx: OrderStoreTransaction) => Promise<T>): Promise<T>;
}
