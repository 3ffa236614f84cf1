import {
  decodeOrderEventEnvelope,
  decodeOrderEventRecord,
  toOrderEventRecord,
  UndecodableOrderEventError,
  type OrderEventEnvelope,
} from './order-event-envelope';
import { isKnownOrderEventType } from './schemas/order-event-versions';

const envelope: OrderEventEnvelope = {
  eventId: '5f0c8a6e-3d2b-4c1a-9e8f-7a6b5c4d3e2f',
  type: 'OrderPaid',
  orderId: 'order-1',
  version: 2,
  occurredAt: '2026-11-23T10:00:00.000Z',
  schemaVersion: 1,
  data: { amount: 3_000, paymentReference: 'pay-1' },
  metadata: { correlationId: 'corr-1', causationId: 'cmd-1' },
};

describe('order event envelope', () => {
  it('becomes a record keyed by order id with the contract headers, and decodes back', () => {
    const record = toOrderEventRecord(envelope);
    expect(record.key).toBe('order-1');
    expect(record.headers).toEqual({
      'event-type': 'OrderPaid',
      'schema-version': '1',
      'correlation-id': 'corr-1',
      'content-type': 'application/json',
    });
    expect(decodeOrderEventEnvelope(Buffer.from(record.value))).toEqual(envelope);
  });

  it.each([
    ['no value', null],
    ['not JSON', '{"eventId":'],
    ['a JSON list', '[]'],
    ['a missing event id', JSON.stringify({ ...envelope, eventId: undefined })],
    ['version 0', JSON.stringify({ ...envelope, version: 0 })],
    ['a fractional version', JSON.stringify({ ...envelope, version: 1.5 })],
    ['data that is not an object', JSON.stringify({ ...envelope, data: 'x' })],
    ['no metadata', JSON.stringify({ ...envelope, metadata: undefined })],
    // PostgreSQL could never store these: they must reach the DLQ, not fail a batch forever.
    [
      'a version beyond a PostgreSQL integer',
      JSON.stringify({ ...envelope, version: 3_000_000_000 }),
    ],
    [
      'a time that rolls over (30 February)',
      JSON.stringify({ ...envelope, occurredAt: '2024-02-30T00:00:00Z' }),
    ],
    ['a time that is not ISO 8601', JSON.stringify({ ...envelope, occurredAt: 'foo 12' })],
    [
      'NUL in a string',
      JSON.stringify({ ...envelope, data: { ...envelope.data, paymentReference: 'a\u0000b' } }),
    ],
    ['a lone surrogate', '{"x":"\\ud800",' + JSON.stringify(envelope).slice(1)],
    // Beyond the write side's limits: PostgreSQL refuses the index entry (54000) or the date.
    ['a 5 KB orderId', JSON.stringify({ ...envelope, orderId: 'o'.repeat(5_000) })],
    ['an orderId with spaces', JSON.stringify({ ...envelope, orderId: 'order 1' })],
    ['a 65-character eventId', JSON.stringify({ ...envelope, eventId: 'e'.repeat(65) })],
    ['year 0000', JSON.stringify({ ...envelope, occurredAt: '0000-01-01T00:00:00Z' })],
  ])('refuses %s', (_, value) => {
    expect(() => decodeOrderEventEnvelope(value)).toThrow(UndecodableOrderEventError);
  });

  it('accepts the limits themselves: a 64-character orderId and year 0001', () => {
    const edge = { ...envelope, orderId: 'o'.repeat(64), occurredAt: '0001-01-01T00:00:00Z' };
    expect(decodeOrderEventEnvelope(JSON.stringify(edge))).toEqual(edge);
  });

  it('takes exactly the times Date.parse reads without rolling them over', () => {
    // The definition the decoder had before it checked the fields itself: replays must accept
    // and refuse the same events as before.
    const readsWithoutRollover = (time: string) => {
      if (time.startsWith('0000')) return false;
      const parsed = Date.parse(time);
      return (
        !Number.isNaN(parsed) && new Date(parsed).toISOString().slice(0, 10) === time.slice(0, 10)
      );
    };
    const pad = (value: number, width: number) => String(value).padStart(width, '0');
    const differing: string[] = [];
    for (const year of [0, 1, 4, 100, 1900, 2000, 2023, 2024, 2100, 9999])
      for (let month = 0; month <= 13; month++)
        for (let day = 0; day <= 32; day++)
          for (const clock of [
            '00:00:00',
            '23:59:59.999999999',
            '24:00:00',
            '24:00:00.000000000',
            '24:00:00.5',
            '25:00:00',
            '12:60:00',
            '12:00:60',
          ]) {
            const time = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${clock}Z`;
            const accepted = isDecodable({ ...envelope, occurredAt: time });
            if (accepted !== readsWithoutRollover(time)) differing.push(time);
          }
    expect(differing).toEqual([]);
    expect(isDecodable({ ...envelope, occurredAt: '2024-02-29T00:00:00Z' })).toBe(true);
    expect(isDecodable({ ...envelope, occurredAt: '1900-02-29T00:00:00Z' })).toBe(false);
  });

  it("refuses a record whose key is not its envelope's orderId", () => {
    const { value } = toOrderEventRecord(envelope);
    expect(decodeOrderEventRecord({ key: 'order-1', value: Buffer.from(value) })).toEqual(envelope);
    expect(() => decodeOrderEventRecord({ key: 'order-2', value: Buffer.from(value) })).toThrow(
      /record key "order-2" is not the envelope's orderId order-1/,
    );
    expect(() => decodeOrderEventRecord({ key: null, value: Buffer.from(value) })).toThrow(
      UndecodableOrderEventError,
    );
  });

  it('decodes an unknown event type, which the consumer decides about', () => {
    const future = decodeOrderEventEnvelope(JSON.stringify({ ...envelope, type: 'OrderRefunded' }));
    expect(isKnownOrderEventType(future.type)).toBe(false);
    expect(isKnownOrderEventType('OrderShipped')).toBe(true);
  });
});

function isDecodable(value: unknown): boolean {
  try {
    decodeOrderEventEnvelope(JSON.stringify(value));
    return true;
  } catch (error) {
    if (error instanceof UndecodableOrderEventError) return false;
    throw error;
  }
}
