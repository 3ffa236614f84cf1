import { ORDER_EVENT_VERSIONS } from '@app/order-events';

const orderPlacedV1 = ORDER_EVENT_VERSIONS.OrderPlaced[0].schema;
import { breakingChanges } from './schema-compatibility';

/** The published schema of a made-up event, as a plain JSON value. */
const published = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'ParcelWeighed v1',
  type: 'object',
  properties: {
    grams: { type: 'integer', minimum: 0, maximum: 100_000 },
    label: { type: 'string', maxLength: 64 },
    unit: { type: 'string', enum: ['g', 'kg'] },
    scans: { type: 'array', items: { type: 'object', properties: { at: { type: 'string' } } } },
  },
  required: ['grams', 'label'],
};
type Schema = typeof published;

const change = (edit: (schema: Schema) => void): Schema => {
  const copy = structuredClone(published);
  edit(copy);
  return copy;
};

describe('breakingChanges', () => {
  it.each<[string, Schema, string[]]>([
    [
      'a field removed',
      change((s) => delete (s.properties as Partial<Schema['properties']>).label),
      ['field label: removed'],
    ],
    [
      'a field removed inside the items of a list',
      change((s) => delete (s.properties.scans.items.properties as { at?: unknown }).at),
      ['field scans[].at: removed'],
    ],
    [
      'a type narrowed (integer from number)',
      change((s) => Object.assign(s.properties.grams, { type: 'string' })),
      ['field grams: type narrowed from integer to string'],
    ],
    [
      'a new required field without default',
      change((s) => {
        Object.assign(s.properties, { carrier: { type: 'string' } });
        s.required.push('carrier');
      }),
      ['field carrier: new required field without default'],
    ],
    [
      'a new required field whose default its own schema refuses',
      change((s) => {
        Object.assign(s.properties, { carrier: { type: 'integer', default: 'none' } });
        s.required.push('carrier');
      }),
      ['field carrier: new required field whose default its own schema refuses'],
    ],
    [
      'a default added to an optional field old events may omit',
      change((s) => Object.assign(s.properties.unit, { default: 'g' })),
      ['field unit: default added: old events without the field would read differently'],
    ],
    [
      'an enum value removed',
      change((s) => Object.assign(s.properties.unit, { enum: ['g'] })),
      ['field unit: enum value "kg" removed'],
    ],
    [
      'a maximum lowered and a maxLength lowered',
      change((s) => {
        s.properties.grams.maximum = 50_000;
        s.properties.label.maxLength = 32;
      }),
      [
        'field grams: maximum lowered from 100000 to 50000',
        'field label: maxLength lowered from 64 to 32',
      ],
    ],
    [
      'a pattern added',
      change((s) => Object.assign(s.properties.label, { pattern: '^[A-Z]+$' })),
      ['field label: pattern added: "^[A-Z]+$"'],
    ],
    [
      'unknown fields refused',
      change((s) => Object.assign(s, { additionalProperties: false })),
      ['field (data): additional fields no longer allowed'],
    ],
    [
      'a keyword the checker does not know changed',
      change((s) => Object.assign(s.properties.label, { anyOf: [{ minLength: 2 }] })),
      ['field label: anyOf changed, which this checker cannot prove compatible'],
    ],
  ])('refuses %s', (_case, current, problems) => {
    expect(breakingChanges(published, current)).toEqual(problems);
  });

  it('refuses a number narrowed to an integer', () => {
    const numeric = change((s) => Object.assign(s.properties.grams, { type: 'number' }));

    expect(breakingChanges(numeric, published)).toEqual([
      'field grams: type narrowed from number to integer',
    ]);
  });

  it.each<[string, Schema]>([
    ['no change', published],
    [
      'a new optional field',
      change((s) => Object.assign(s.properties, { note: { type: 'string' } })),
    ],
    [
      'a new required field with a default',
      change((s) => {
        Object.assign(s.properties, { carrier: { type: 'string', default: 'unknown' } });
        s.required.push('carrier');
      }),
    ],
    ['a required field made optional', change((s) => s.required.pop())],
    [
      'an enum value added',
      change((s) => Object.assign(s.properties.unit, { enum: ['g', 'kg', 'lb'] })),
    ],
    [
      'an integer widened to a number',
      change((s) => Object.assign(s.properties.grams, { type: 'number' })),
    ],
    [
      'a type widened to a union',
      change((s) => Object.assign(s.properties.label, { type: ['string', 'null'] })),
    ],
    [
      'bounds relaxed',
      change((s) => {
        s.properties.grams.maximum = 1_000_000;
        delete (s.properties.label as { maxLength?: number }).maxLength;
      }),
    ],
    [
      'a title and a description changed',
      change((s) => Object.assign(s, { title: 'v1', description: 'x' })),
    ],
  ])('accepts %s', (_case, current) => {
    expect(breakingChanges(published, current)).toEqual([]);
  });

  it('accepts OrderPlaced v1 as it is published', () => {
    const snapshot: unknown = JSON.parse(JSON.stringify(orderPlacedV1));
    expect(breakingChanges(snapshot as Schema, orderPlacedV1)).toEqual([]);
  });
});
