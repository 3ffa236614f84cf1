import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { Pool } from 'pg';
import { isUniqueViolation } from '@app/database';
import type { OrderEvent } from '@app/order-domain';
import {
  latestSchemaVersion,
  orderEventHeaders,
  upcastOrderEvent,
  type OrderEventEnvelope,
  type OrderEventMetadata,
} from '@app/order-events';
import { inSpan, traceHeaders } from '@app/tracing';

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
 * The write side's event store: an order's events in version order, and appends that fail
 * instead of overwriting when the order moved on. Every appended event gets its outbox row in
 * the same statement, so an event is stored if and only if it will be published.
 */
@Injectable()
export class OrderEventStore {
  constructor(@Inject(Pool) readonly pool: Pool) {}

  /** The order's events in version order, each upcast to the newest version of its type. */
  async readStream(client: PoolClient, orderId: string): Promise<OrderEventEnvelope[]> {
    const { rows } = await client.query<EventRow>(
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
   * Appends `events` as versions expectedVersion+1, +2, … inside the caller's transaction. A
   * concurrent append of the same version makes PostgreSQL refuse this one (primary key), which
   * surfaces as StreamVersionConflictError once the other transaction commits.
   */
  append(
    client: PoolClient,
    orderId: string,
    expectedVersion: number,
    events: readonly OrderEvent[],
    metadata: OrderEventMetadata,
  ): Promise<OrderEventEnvelope[]> {
    const attributes = { 'order.id': orderId, 'order.version': expectedVersion + events.length };
    // A version conflict is the optimistic lock doing its job: the handler retries.
    const isRefusal = (error: unknown) => error instanceof StreamVersionConflictError;
    return inSpan('order_events append', { attributes, isRefusal }, () =>
      this.appendInSpan(client, orderId, expectedVersion, events, metadata),
    );
  }

  private async appendInSpan(
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
          // Writers always write the newest version.
          schemaVersion: latestSchemaVersion(event.type),
          data: event.data,
          metadata,
        }) as OrderEventEnvelope,
    );
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
      await client.query(
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
