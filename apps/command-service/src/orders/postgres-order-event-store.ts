import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { Pool } from 'pg';
import { isUniqueViolation, withTransaction } from '@app/database';
import type { OrderEvent } from '@app/order-domain';
import {
  orderEventHeaders,
  upcastOrderEvent,
  type OrderEventEnvelope,
  type OrderEventMetadata,
} from '@app/order-events';
import { inSpan, traceHeaders } from '@app/tracing';
import { IdempotencyKeys, type IdempotencyClaim } from './idempotency-keys';
import {
  OrderEventStore,
  StreamVersionConflictError,
  envelopesFor,
  UnreadableStoredEventError,
  type OrderStoreTransaction,
} from './order-event-store';

interface EventRow {
  event_id: string;
  type: string;
  version: number;
  schema_version: number;
  data: unknown;
  metadata: OrderEventMetadata;
  occurred_at: Date;
}

/**
 * The event store in PostgreSQL: `order_events` with primary key (order_id, version), so a
 * concurrent append of the same version is refused by the database itself. Every appended event
 * gets its outbox row in the same statement, and idempotency keys live in the same transaction.
 */
@Injectable()
export class PostgresOrderEventStore extends OrderEventStore {
  constructor(
    @Inject(Pool) private readonly pool: Pool,
    private readonly idempotencyKeys: IdempotencyKeys,
  ) {
    super();
  }

  transaction<T>(work: (tx: OrderStoreTransaction) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, (client) =>
      work(new PostgresOrderTransaction(client, this.idempotencyKeys)),
    );
  }
}

/** One transaction's view of the store, on the connection that holds it. */
class PostgresOrderTransaction implements OrderStoreTransaction {
  constructor(
    private readonly client: PoolClient,
    private readonly idempotencyKeys: IdempotencyKeys,
  ) {}

  claimIdempotencyKey<T>(key: string, fingerprint: string): Promise<IdempotencyClaim<T>> {
    return this.idempotencyKeys.claim<T>(this.client, key, fingerprint);
  }

  recordResponse(key: string, response: unknown): Promise<void> {
    return this.idempotencyKeys.recordResponse(this.client, key, response);
  }

  /** The order's events in version order, each upcast to the newest version of its type. */
  async readStream(orderId: string): Promise<OrderEventEnvelope[]> {
    const { rows } = await this.client.query<EventRow>(
      `SELECT event_id, type, version, schema_version, data, metadata, occurred_at
         FROM order_events WHERE order_id = $1 ORDER BY version`,
      [orderId],
    );
    return rows.map((row) => {
      const reading = upcastOrderEvent({
        eventId: row.event_id,
        type: row.type,
        orderId,
        version: row.version,
        occurredAt: row.occurred_at.toISOString(),
        schemaVersion: row.schema_version,
        data: row.data,
        metadata: row.metadata,
      });
      if (reading.kind === 'read') return reading.event;
      // Deciding on a history with a hole would build on a state that never was.
      throw new UnreadableStoredEventError(
        orderId,
        row.version,
        reading.reason,
        reading.kind === 'unknown',
      );
    });
  }

  /**
   * A concurrent append of the same version makes PostgreSQL refuse this one (primary key),
   * which surfaces as StreamVersionConflictError once the other transaction commits.
   */
  append(
    orderId: string,
    expectedVersion: number,
    events: readonly OrderEvent[],
    metadata: OrderEventMetadata,
  ): Promise<OrderEventEnvelope[]> {
    const attributes = { 'order.id': orderId, 'order.version': expectedVersion + events.length };
    // A version conflict is the optimistic lock doing its job: the handler retries.
    const isRefusal = (error: unknown) => error instanceof StreamVersionConflictError;
    return inSpan('order_events append', { attributes, isRefusal }, () =>
      this.appendInSpan(orderId, expectedVersion, events, metadata),
    );
  }

  private async appendInSpan(
    orderId: string,
    expectedVersion: number,
    events: readonly OrderEvent[],
    metadata: OrderEventMetadata,
  ): Promise<OrderEventEnvelope[]> {
    const envelopes = envelopesFor(orderId, expectedVersion, events, metadata);
    for (const envelope of envelopes) {
      // A writer never stores what its readers refuse (the projector would park the order, and
      // this service could not decide on it again); reaching this is a bug: a 500, nothing stored.
      const reading = upcastOrderEvent(envelope);
      if (reading.kind !== 'read') {
        throw new Error(`refusing to store ${envelope.type} its readers refuse: ${reading.reason}`);
      }
    }
    // The append's trace context travels with each event (outbox row, then Kafka record), so that
    // the relay's send and the projector's batch can link back to this command.
    const tracing = traceHeaders();
    try {
      // One round trip for both tables; unnest keeps the array order, so outbox ids follow versions.
      await this.client.query(
        `WITH appended AS (
           INSERT INTO order_events
             (order_id, version, event_id, type, schema_version, data, metadata, occurred_at)
           SELECT $1, version, event_id, type, schema_version, data, $6::jsonb, occurred_at
             FROM unnest($2::int[], $3::uuid[], $4::text[], $5::jsonb[], $7::timestamptz[],
                         $10::int[])
                  AS e(version, event_id, type, data, occurred_at, schema_version)
         )
         INSERT INTO outbox (event_id, order_id, payload, headers)
         SELECT event_id, $1, payload, headers
           FROM unnest($3::uuid[], $8::text[], $9::jsonb[]) AS o(event_id, payload, headers)`,
        [
          orderId,
          envelopes.map((envelope) => envelope.version),
          envelopes.map((envelope) => envelope.eventId),
          envelopes.map((envelope) => envelope.type),
          envelopes.map((envelope) => JSON.stringify(envelope.data)),
          JSON.stringify(metadata),
          envelopes.map((envelope) => envelope.occurredAt),
          envelopes.map((envelope) => JSON.stringify(envelope)),
          envelopes.map((envelope) =>
            JSON.stringify({ ...orderEventHeaders(envelope), ...tracing }),
          ),
          envelopes.map((envelope) => envelope.schemaVersion),
        ],
      );
    } catch (error) {
      if (isUniqueViolation(error, 'order_events_pkey')) {
        throw new StreamVersionConflictError(orderId, expectedVersion);
      }
      throw error;
    }
    return envelopes;
  }
}
