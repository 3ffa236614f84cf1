import fc from 'fast-check';
import Ajv2020 from 'ajv/dist/2020';
import { decodeOrderEventRecord, toOrderEventRecord } from '../order-event-envelope';
import { readEventFixtures } from '../../../../tools/schemas/event-fixtures';
import { ORDER_EVENT_VERSIONS, latestSchemaVersion } from './order-event-versions';
import { orderPlacedV1, orderPlacedV2, type OrderPlacedV1Data } from './order-event.schemas';
import { orderPlacedV1ToV2 } from './order-event.upcasters';
import { orderEventReader, upcastOrderEvent } from './upcast-order-event';

const fixtures = readEventFixtures();
const newest = new Ajv2020({ allErrors: true });

describe('fixtures of every published version, read forever', () => {
  it('has one for every version of every type', () => {
    const published = Object.entries(ORDER_EVENT_VERSIONS).flatMap(([type, versions]) =>
      versions.map((_, index) => `${type} v${index + 1}`),
    );
    expect(fixtures.map((fixture) => `${fixture.type} v${fixture.schemaVersion}`).sort()).toEqual(
      published.sort(),
    );
  });

  it.each(fixtures.map((fixture) => [`${fixture.type} v${fixture.schemaVersion}`, fixture]))(
    '%s decodes as a record and reads as the newest version, envelope unchanged',
    (_name, fixture) => {
      const { event } = fixture;
      expect(event).toMatchObject({ type: fixture.type, schemaVersion: fixture.schemaVersion });
      const decoded = decodeOrderEventRecord({
        key: event.orderId,
        value: Buffer.from(fixture.value),
      });

      const reading = upcastOrderEvent(decoded);

      if (reading.kind !== 'read') throw new Error(reading.reason);
      const type = fixture.type as keyof typeof ORDER_EVENT_VERSIONS;
      expect(reading.event).toEqual({
        ...event,
        schemaVersion: latestSchemaVersion(type),
        data: expect.any(Object),
      });
      const schema = ORDER_EVENT_VERSIONS[type].at(-1)!.schema;
      expect(newest.validate(schema, reading.event.data)).toBe(true);
    },
  );

  it('reads OrderPlaced v1 as v2 without a shipping address, every other field kept', () => {
    const v1 = fixtures.find((f) => f.type === 'OrderPlaced' && f.schemaVersion === 1)!;
    const reading = upcastOrderEvent(v1.event);

    expect(reading).toStrictEqual({
      kind: 'read',
      event: { ...v1.event, schemaVersion: 2 },
    });
  });

  it('leaves its input alone and reads the newest version as it is', () => {
    const v2 = fixtures.find((f) => f.type === 'OrderPlaced' && f.schemaVersion === 2)!;
    const before: unknown = JSON.parse(v2.value);

    expect(upcastOrderEvent(v2.event)).toStrictEqual({ kind: 'read', event: before });
    expect(v2.event).toStrictEqual(before);
  });

  it('reads a fixture produced and consumed again exactly as the fixture', () => {
    for (const fixture of fixtures) {
      const record = toOrderEventRecord(JSON.parse(fixture.value) as never);
      expect(JSON.parse(String(record.value))).toEqual(fixture.event);
      expect(record.headers).toMatchObject({ 'schema-version': String(fixture.schemaVersion) });
    }
  });
});

describe('upcastOrderEvent refuses what it cannot read, without throwing', () => {
  const placed = readEventFixtures().find((f) => f.type === 'OrderPlaced')!.event;

  it.each<[string, Record<string, unknown>, string, string]>([
    ['an unknown type', { type: 'OrderRefunded' }, 'unknown', 'unknown event type OrderRefunded'],
    [
      'a newer schema version',
      { schemaVersion: 3 },
      'unknown',
      'unknown schemaVersion 3 of OrderPlaced: this reader knows 1 to 2',
    ],
    [
      'a fractional schema version',
      { schemaVersion: 1.5 },
      'unknown',
      'unknown schemaVersion 1.5 of OrderPlaced: this reader knows 1 to 2',
    ],
    [
      'a type named like a prototype member',
      { type: 'constructor' },
      'unknown',
      'unknown event type constructor',
    ],
    ['data that is a list', { data: [] }, 'malformed', 'OrderPlaced data is not an object'],
    [
      'data missing two fields',
      { data: { currency: 'EUR', items: [] } },
      'malformed',
      'OrderPlaced data has a missing or malformed customerId, total',
    ],
    [
      'an item with a field of another type',
      { data: { ...(placed.data as object), items: [{ sku: 'S', quantity: '1', unitPrice: 1 }] } },
      'malformed',
      'OrderPlaced data has a missing or malformed items',
    ],
  ])('%s', (_case, changes, kind, reason) => {
    expect(upcastOrderEvent({ ...placed, ...changes })).toStrictEqual({ kind, reason });
  });
});

describe('OrderPlaced v1 → v2', () => {
  const text = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== '');
  const v1Data: fc.Arbitrary<OrderPlacedV1Data> = fc.record(
    {
      customerId: text,
      currency: fc.stringMatching(/^[A-Z]{3}$/),
      items: fc.array(
        fc.record(
          { sku: text, quantity: fc.integer({ min: 1 }), unitPrice: fc.nat() },
          { noNullPrototype: true },
        ),
        { minLength: 1, maxLength: 3 },
      ),
      total: fc.nat(),
    },
    { noNullPrototype: true },
  );

  it('turns any valid v1 data into valid v2 data with the same fields and no address', () => {
    const ajv = new Ajv2020();
    const [isV1, isV2] = [ajv.compile(orderPlacedV1), ajv.compile(orderPlacedV2)];
    fc.assert(
      fc.property(v1Data, (data) => {
        expect(isV1(data)).toBe(true);
        const upcast = orderPlacedV1ToV2(data);
        expect(isV2(upcast)).toBe(true);
        expect(upcast).toStrictEqual(data);
      }),
    );
  });
});

describe('an upcaster that is wrong for some old event', () => {
  const v1 = fixtures.find(
    (fixture) => fixture.type === 'OrderPlaced' && fixture.schemaVersion === 1,
  )!;
  const readerWith = (upcast: (data: OrderPlacedV1Data) => unknown) =>
    orderEventReader({
      ...ORDER_EVENT_VERSIONS,
      OrderPlaced: [{ schema: orderPlacedV1, upcast }, { schema: orderPlacedV2 }],
    });

  it('parks the event (malformed, with the reason) when the upcaster throws', () => {
    const read = readerWith(() => {
      throw new Error('no such field');
    });
    expect(read(v1.event)).toEqual({
      kind: 'malformed',
      reason: 'OrderPlaced v1 could not be upcast: no such field',
    });
  });

  it('parks the event when the upcast data fails the newest schema', () => {
    const read = readerWith((data) => ({ ...orderPlacedV1ToV2(data), items: undefined }));
    expect(read(v1.event)).toEqual({
      kind: 'malformed',
      reason: 'OrderPlaced v1 upcast to v2 has a missing or malformed items',
    });
  });
});
