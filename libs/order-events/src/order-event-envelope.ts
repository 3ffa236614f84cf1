import {
  MAX_ID_LENGTH,
  MAX_ORDER_VERSION as MAX_VERSION,
  isOrderId,
  isPrintableText,
  type OrderEvent,
} from '@app/order-domain';
import type { ConsumedRecord, OutgoingRecord } from '@app/kafka';

export interface OrderEventMetadata {
  /** The request that started the work, as the caller's X-Correlation-Id or a generated id. */
  readonly correlationId: string;
  /** The command that produced the event: an id generated for each command execution. */
  readonly causationId: string;
}

/**
 * An order event in the contract's §4 envelope, its data in the newest schema version of its
 * type: what writers write, and what upcastOrderEvent makes of anything older.
 */
export type OrderEventEnvelope = OrderEvent & {
  readonly eventId: string;
  readonly orderId: string;
  /** 1 for OrderPlaced, then +1 per event of the order, without gaps. */
  readonly version: number;
  /** The version of the type's data schema (libs/order-events/src/schemas), per type. */
  readonly schemaVersion: number;
  readonly metadata: OrderEventMetadata;
};

/**
 * An envelope as it was recorded, by this code or an older or newer one: any type, any schema
 * version, data not checked. Readers turn it into an OrderEventEnvelope with upcastOrderEvent.
 */
export interface RecordedOrderEvent {
  readonly eventId: string;
  readonly type: string;
  readonly orderId: string;
  readonly version: number;
  readonly occurredAt: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: OrderEventMetadata;
}

export const ORDER_EVENT_HEADERS = Object.freeze({
  eventType: 'event-type',
  schemaVersion: 'schema-version',
  correlationId: 'correlation-id',
  contentType: 'content-type',
});

/** The Kafka record of an event: keyed by order id so an order's events stay in one partition, in order. */
export function toOrderEventRecord(envelope: OrderEventEnvelope): OutgoingRecord {
  return {
    key: envelope.orderId,
    value: JSON.stringify(envelope),
    headers: orderEventHeaders(envelope),
  };
}

export function orderEventHeaders(
  envelope: Pick<OrderEventEnvelope, 'type' | 'schemaVersion' | 'metadata'>,
): Record<string, string> {
  return {
    [ORDER_EVENT_HEADERS.eventType]: envelope.type,
    [ORDER_EVENT_HEADERS.schemaVersion]: String(envelope.schemaVersion),
    [ORDER_EVENT_HEADERS.correlationId]: envelope.metadata.correlationId,
    [ORDER_EVENT_HEADERS.contentType]: 'application/json',
  };
}

/** A record that is not an order event envelope at all; consumers dead-letter it. */
export class UndecodableOrderEventError extends Error {
  constructor(problem: string) {
    super(`Undecodable order event: ${problem}`);
    this.name = 'UndecodableOrderEventError';
  }
}

/**
 * Parses a record value and checks the envelope's shape. The event's data is checked only for
 * being an object, and may be of any schema version: whether it can be read is the consumer's
 * decision (upcastOrderEvent; an unknown type or version is decodable, and consumers park
 * rather than dead-letter it).
 */
export function decodeOrderEventEnvelope(value: Buffer | string | null): OrderEventEnvelope {
  if (value === null) throw new UndecodableOrderEventError('the record has no value');
  const text = value.toString();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UndecodableOrderEventError('the value is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UndecodableOrderEventError('the value is not a JSON object');
  }
  const envelope = parsed as Record<string, unknown>;
  // The write side's limits: anything beyond them was never written by it, and PostgreSQL may
  // refuse it (an index entry too large), which would otherwise fail the batch on every retry.
  const problems = [
    isPrintableText(envelope.eventId)
      ? undefined
      : `eventId must be 1 to ${MAX_ID_LENGTH} printable characters`,
    requireString(envelope, 'type'),
    isOrderId(envelope.orderId)
      ? undefined
      : `orderId must be 1 to ${MAX_ID_LENGTH} letters, digits or _ . : -`,
    Number.isSafeInteger(envelope.version) &&
    (envelope.version as number) >= 1 &&
    (envelope.version as number) <= MAX_VERSION
      ? undefined
      : `version must be an integer from 1 to ${MAX_VERSION}`,
    isIsoTimestamp(envelope.occurredAt)
      ? undefined
      : 'occurredAt must be an ISO 8601 UTC time from year 0001 to 9999',
    Number.isSafeInteger(envelope.schemaVersion) ? undefined : 'schemaVersion must be an integer',
    isObject(envelope.data) ? undefined : 'data must be an object',
    isObject(envelope.metadata) ? undefined : 'metadata must be an object',
  ].filter((problem): problem is string => problem !== undefined);
  if (mayHoldUnstorable(text) && !storableStrings(parsed)) {
    problems.push('a string holds NUL or a lone surrogate');
  }
  if (problems.length > 0) throw new UndecodableOrderEventError(problems.join('; '));
  return parsed as OrderEventEnvelope;
}

/**
 * Decodes a consumed record: its envelope, which must belong to the record's key. A record keyed
 * by another order was partitioned by that key, so the partition that owns the envelope's order
 * never sees it: applying it here would race that owner.
 */
export function decodeOrderEventRecord(
  record: Pick<ConsumedRecord, 'key' | 'value'>,
): OrderEventEnvelope {
  const envelope = decodeOrderEventEnvelope(record.value);
  if (record.key !== envelope.orderId) {
    throw new UndecodableOrderEventError(
      `the record key ${JSON.stringify(record.key?.slice(0, 80) ?? null)} is not the envelope's orderId ${envelope.orderId}`,
    );
  }
  return envelope;
}

function requireString(object: Record<string, unknown>, field: string): string | undefined {
  const value = object[field];
  return typeof value === 'string' && value !== ''
    ? undefined
    : `${field} must be a non-empty string`;
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ISO_UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/**
 * `2025-03-01T10:00:00.000Z` and the like: a real instant that PostgreSQL's timestamptz takes.
 * Checked field by field rather than by Date.parse and a round trip through toISOString, which
 * took 20 times as long (it ran once per consumed event); the same strings pass
 * (docs/benchmarks.md).
 */
function isIsoTimestamp(value: unknown): boolean {
  if (typeof value !== 'string' || !ISO_UTC_TIME.test(value)) return false;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 7);
  const day = digitsAt(value, 8, 10);
  // PostgreSQL has no year 0 (22008); Date.parse would roll 2024-02-30 over to March and
  // T24:00 over to the next day.
  return (
    year >= 1 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    digitsAt(value, 11, 13) <= 23 &&
    digitsAt(value, 14, 16) <= 59 &&
    digitsAt(value, 17, 19) <= 59
  );
}

/** The number written by the ASCII digits value[from, to). */
function digitsAt(value: string, from: number, to: number): number {
  let number = 0;
  for (let index = from; index < to; index++) number = number * 10 + value.charCodeAt(index) - 48;
  return number;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * JSON text can only put a NUL or a lone surrogate into a string through a `\u` escape or a
 * surrogate in the text itself (a raw NUL is not valid JSON): text with neither, the usual
 * case, is checked in one pass instead of a walk over every parsed string.
 */
function mayHoldUnstorable(text: string): boolean {
  return text.includes('\\u') || /[\uD800-\uDFFF]/.test(text);
}

/**
 * PostgreSQL refuses NUL in text and jsonb, and jsonb lone surrogates (parked events are jsonb, and
 * the view's json would fail any cast to jsonb); such an event could never be stored and read, so
 * it is undecodable. The view's COPY relies on it too.
 */
function storableStrings(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.every(storableStrings);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).every(
      ([key, item]) => storableStrings(key) && storableStrings(item),
    );
  }
  return true;
}
