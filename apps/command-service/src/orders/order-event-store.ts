import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { Pool } from 'pg';
import { isUniqueViolation } from '@app/database';
import type { OrderEvent } from '@app/order-domain';
import {
  ORDER_EVENT_SCHEMA_VERSION,
  orderEventHeaders,
  type OrderEventEnvelope,
  type OrderEventMetadata,
} from '@app/order-events';

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

interface EventRow {
  event_id: string;
  type: string;
  version: number;
  data: OrderEvent['data'];
  metadata: OrderEventMetadata;
  occurred_at: Date;
}

/**
 * The write side's event store: an order's events in version order, and appends that fail
 * instead of overwriting when the order moved on. Every appended event gets its outbox row in
 * the same statement, so an event is stored if and only if it will be published.
 */
@Injectable()
export class OrderEventStore {
  constructor(@Inject(Pool) readonly pool: Pool) {}

  async readStream(client: PoolClient, orderId: string): Promise<OrderEventEnvelope[]> {
    const { rows } = await client.query<EventRow>(
      `SELECT event_id, type, version, data, metadata, occurred_at
         FROM order_events WHERE order_id = $1 ORDER BY version`,
      [orderId],
    );
    return rows.map(
      (row) =>
        ({
          eventId: row.event_id,
          type: row.type,
          orderId,
          version: row.version,
          occurredAt: row.occurred_at.toISOString(),
          schemaVersion: ORDER_EVENT_SCHEMA_VERSION,
          data: row.data,
          metadata: row.metadata,
        }) as OrderEventEnvelope,
    );
  }

  /**
   * Appends `events` as versions expectedVersion+1, +2, … inside the caller's transaction. A
   * concurrent append of the same version makes PostgreSQL refuse this one (primary key), which
   * surfaces as StreamVersionConflictError once the other transaction commits.
   */
  async append(
    client: PoolClient,
    orderId: string,
    expectedVersion: number,
    events: readonly OrderEvent[],
    metadata: OrderEventMetadata,
  ): Promise<OrderEventEnvelope[]> {
    const envelopes = events.map(
      (event, index) =>
        ({
          eventId: randomUUID(),
          type: event.type,
          orderId,
          version: expectedVersion + index + 1,
          occurredAt: event.occurredAt,
          schemaVersion: ORDER_EVENT_SCHEMA_VERSION,
          data: event.data,
          metadata,
        }) as OrderEventEnvelope,
    );
    try {
      // One round trip for both tables; unnest keeps the array order, so outbox ids follow versions.
      await client.query(
        `WITH appended AS (
           INSERT INTO order_events (order_id, version, event_id, type, data, metadata, occurred_at)
           SELECT $1, version, event_id, type, data, $6::jsonb, occurred_at
             FROM unnest($2::int[], $3::uuid[], $4::text[], $5::jsonb[], $7::timestamptz[])
                  AS e(version, event_id, type, data, occurred_at)
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
          envelopes.map((envelope) => JSON.stringify(orderEventHeaders(envelope))),
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
