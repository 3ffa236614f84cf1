import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import type { OrderEventType } from '@app/order-domain';
import type { OrderEventEnvelope, RecordedOrderEvent } from '../order-event-envelope';
import {
  ORDER_EVENT_VERSIONS,
  isKnownOrderEventType,
  type JsonSchema,
  type OrderEventVersion,
} from './order-event-versions';

/**
 * What a reader makes of a recorded event. `unknown`: a type or schema version this code does
 * not know, i.e. written by a newer writer; `malformed`: its data fails its own version's
 * schema. Both are refusals to apply, never exceptions: the projector parks such an event.
 */
export type OrderEventReading =
  | { readonly kind: 'read'; readonly event: OrderEventEnvelope }
  | { readonly kind: 'unknown' | 'malformed'; readonly reason: string };

interface CompiledVersion extends OrderEventVersion {
  readonly validate: ValidateFunction;
  /** Top-level fields in schema order, to name malformed ones in a stable order. */
  readonly fields: readonly string[];
  /** Whether validation fills in defaults, i.e. must work on a copy to leave its input alone. */
  readonly fillsDefaults: boolean;
}

// allErrors: a parked event's reason names every malformed field, not just the first. Records
// are at most a Kafka message, which bounds the work. useDefaults: a field added as required
// with a default is filled in on old events (the compatibility gate allows exactly that).
const ajv = new Ajv2020({ allErrors: true, useDefaults: true });

function compile(versions: readonly OrderEventVersion[]): readonly CompiledVersion[] {
  return versions.map((version) => ({
    ...version,
    validate: ajv.compile(version.schema),
    fields: Object.keys((version.schema.properties as JsonSchema | undefined) ?? {}),
    // A property named "default" matches too: that only costs a copy.
    fillsDefaults: JSON.stringify(version.schema).includes('"default":'),
  }));
}

type Registry = { readonly [T in OrderEventType]: readonly OrderEventVersion[] };

/** Compiled once, when the module loads: validation is on every event of every reader. */
export const upcastOrderEvent = orderEventReader(ORDER_EVENT_VERSIONS);

/**
 * The event as the newest version of its type: its data validated against the schema of the
 * version it was written in, then upcast version by version. Pure: the input is not modified.
 * (A reader over another registry is for tests of the reading rules themselves.)
 */
export function orderEventReader(
  registry: Registry,
): (recorded: RecordedOrderEvent) => OrderEventReading {
  const compiled: { readonly [T in OrderEventType]: readonly CompiledVersion[] } = {
    OrderPlaced: compile(registry.OrderPlaced),
    OrderPaid: compile(registry.OrderPaid),
    OrderShipped: compile(registry.OrderShipped),
    OrderCancelled: compile(registry.OrderCancelled),
  };
  return (recorded) => read(compiled, recorded);
}

function read(
  compiled: { readonly [T in OrderEventType]: readonly CompiledVersion[] },
  recorded: RecordedOrderEvent,
): OrderEventReading {
  const { type, schemaVersion } = recorded;
  if (typeof type !== 'string' || !isKnownOrderEventType(type)) {
    return { kind: 'unknown', reason: `unknown event type ${describe(type)}` };
  }
  const versions = compiled[type];
  if (
    !Number.isSafeInteger(schemaVersion) ||
    schemaVersion < 1 ||
    schemaVersion > versions.length
  ) {
    return {
      kind: 'unknown',
      reason: `unknown schemaVersion ${describe(schemaVersion)} of ${type}: this reader knows 1 to ${versions.length}`,
    };
  }
  if (!isRecord(recorded.data))
    return { kind: 'malformed', reason: `${type} data is not an object` };
  const version = versions[schemaVersion - 1];
  let data: unknown = version.fillsDefaults ? structuredClone(recorded.data) : recorded.data;
  if (!version.validate(data)) {
    const fields = malformedFields(version, version.validate.errors ?? []);
    return {
      kind: 'malformed',
      reason: `${type} data has a missing or malformed ${fields.join(', ')}`,
    };
  }
  if (schemaVersion < versions.length) {
    // An upcaster that throws or returns what the newest schema refuses is a bug in this code,
    // found on some old event: the event parks with the reason rather than stalling a reader.
    try {
      for (const older of versions.slice(schemaVersion - 1, -1)) {
        data = (older.upcast as (data: unknown) => unknown)(data);
      }
    } catch (error) {
      return {
        kind: 'malformed',
        reason: `${type} v${schemaVersion} could not be upcast: ${(error as Error)?.message}`,
      };
    }
    const newest = versions[versions.length - 1];
    if (newest.fillsDefaults) data = structuredClone(data);
    if (!newest.validate(data)) {
      const fields = malformedFields(newest, newest.validate.errors ?? []);
      return {
        kind: 'malformed',
        reason: `${type} v${schemaVersion} upcast to v${versions.length} has a missing or malformed ${fields.join(', ')}`,
      };
    }
  }
  const event = { ...recorded, type, schemaVersion: versions.length, data };
  return { kind: 'read', event: event as OrderEventEnvelope };
}

/** The top-level fields the errors are about, in schema order (unknown ones last). */
function malformedFields(version: CompiledVersion, errors: readonly ErrorObject[]): string[] {
  const fields = new Set<string>();
  for (const error of errors) {
    if (error.instancePath === '') {
      const missing = (error.params as { missingProperty?: unknown }).missingProperty;
      fields.add(typeof missing === 'string' ? missing : '(data)');
    } else {
      // A JSON pointer: /items/0/sku → items (~1 and ~0 escape / and ~).
      fields.add(error.instancePath.split('/')[1].replaceAll('~1', '/').replaceAll('~0', '~'));
    }
  }
  const rank = (field: string) => {
    const index = version.fields.indexOf(field);
    return index === -1 ? version.fields.length : index;
  };
  return [...fields].sort((a, b) => rank(a) - rank(b));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : typeof value;
}
