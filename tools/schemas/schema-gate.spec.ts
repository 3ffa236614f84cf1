import { ORDER_EVENT_VERSIONS, upcastOrderEvent } from '@app/order-events';
import { readEventFixtures } from './event-fixtures';
import { checkSchemaGate, type GateInput, type SchemaSnapshot } from './schema-gate';
import { readSnapshots } from './schema-snapshots';

const v1 = {
  type: 'object',
  properties: { grams: { type: 'integer' } },
  required: ['grams'],
};
const v2 = {
  ...v1,
  properties: { ...v1.properties, scale: { type: 'string' } },
};
const upcast = (data: unknown) => data;

/** ParcelWeighed v1 and v2, both published, each with its fixture: all in order. */
const healthy: GateInput = {
  registry: { ParcelWeighed: [{ schema: v1, upcast }, { schema: v2 }] },
  snapshots: [
    { type: 'ParcelWeighed', schemaVersion: 1, schema: v1 },
    { type: 'ParcelWeighed', schemaVersion: 2, schema: v2 },
  ],
  fixtures: [
    { type: 'ParcelWeighed', schemaVersion: 1 },
    { type: 'ParcelWeighed', schemaVersion: 2 },
  ],
};

describe('checkSchemaGate', () => {
  it('passes a registry that matches its snapshots, with upcasters and fixtures', () => {
    expect(checkSchemaGate(healthy)).toEqual({ problems: [], unpublished: [], changed: [] });
  });

  it('names the type, version and field of an incompatible change to a published version', () => {
    const narrowed = { ...v1, properties: { grams: { type: 'integer', maximum: 10 } } };
    const input = {
      ...healthy,
      registry: { ParcelWeighed: [{ schema: narrowed, upcast }, { schema: v2 }] },
    };

    expect(checkSchemaGate(input).problems).toEqual([
      'ParcelWeighed v1: field grams: maximum added: 10',
    ]);
  });

  it.each<[string, Partial<GateInput>, string]>([
    [
      'a new version without an upcaster from the previous one',
      { registry: { ParcelWeighed: [{ schema: v1 }, { schema: v2 }] } },
      'ParcelWeighed v1: no upcaster to v2',
    ],
    [
      'a new version without a fixture of the previous one',
      { fixtures: [{ type: 'ParcelWeighed', schemaVersion: 2 }] },
      'ParcelWeighed v1: no fixture; every version keeps an example event (ParcelWeighed.v1.json)',
    ],
    [
      'a fixture that no longer reads',
      {
        fixtures: [
          {
            type: 'ParcelWeighed',
            schemaVersion: 1,
            problem: 'ParcelWeighed data has a missing or malformed grams',
          },
          { type: 'ParcelWeighed', schemaVersion: 2 },
        ],
      },
      'ParcelWeighed v1: the fixture does not read: ParcelWeighed data has a missing or malformed grams',
    ],
    [
      'a published version removed',
      {
        registry: { ParcelWeighed: [{ schema: v1 }] },
        fixtures: [{ type: 'ParcelWeighed', schemaVersion: 1 }],
      },
      'ParcelWeighed v2: published, but the version is gone from the code; old events still carry it',
    ],
    [
      'a published type removed (or renamed)',
      { registry: {}, fixtures: [] },
      'ParcelWeighed v1: published, but the type is gone from the code; old events still carry it (never remove or rename a type)',
    ],
    [
      'an upcaster on the newest version',
      {
        registry: {
          ParcelWeighed: [
            { schema: v1, upcast },
            { schema: v2, upcast },
          ],
        },
      },
      'ParcelWeighed v2: the newest version has an upcaster, to a version that does not exist',
    ],
    [
      'an older version without its snapshot while a newer one is published',
      { snapshots: [healthy.snapshots[1]] },
      'ParcelWeighed v1: no snapshot, though v2 is published; published snapshots are never deleted',
    ],
  ])('refuses %s', (_case, changes, problem) => {
    expect(checkSchemaGate({ ...healthy, ...changes }).problems).toContain(problem);
  });

  it('lists versions not published yet, and compatible changes, for --publish', () => {
    const widened = { ...v2, properties: { ...v2.properties, note: { type: 'string' } } };
    const result = checkSchemaGate({
      ...healthy,
      registry: { ParcelWeighed: [{ schema: v1, upcast }, { schema: widened }] },
      snapshots: [healthy.snapshots[0]],
    });

    expect(result.problems).toEqual([]);
    expect(result.unpublished).toEqual<SchemaSnapshot[]>([
      { type: 'ParcelWeighed', schemaVersion: 2, schema: widened },
    ]);
    const changed = checkSchemaGate({
      ...healthy,
      registry: { ParcelWeighed: [{ schema: v1, upcast }, { schema: widened }] },
    });
    expect(changed).toEqual({
      problems: [],
      unpublished: [],
      changed: [{ type: 'ParcelWeighed', schemaVersion: 2, schema: widened }],
    });
  });

  it('passes the order events as committed: snapshots, registry and fixtures agree', () => {
    const fixtures = readEventFixtures().map((fixture) => {
      const reading = upcastOrderEvent(fixture.event);
      return reading.kind === 'read' ? fixture : { ...fixture, problem: reading.reason };
    });
    const result = checkSchemaGate({
      registry: ORDER_EVENT_VERSIONS,
      snapshots: readSnapshots(),
      fixtures,
    });

    expect(result).toEqual({ problems: [], unpublished: [], changed: [] });
  });
});
