import { breakingChanges } from './schema-compatibility';

type Schema = { readonly [keyword: string]: unknown };

/** A published schema: the committed snapshot of one version of one event type. */
export interface SchemaSnapshot {
  readonly type: string;
  readonly schemaVersion: number;
  readonly schema: Schema;
}

/** What the gate needs to know of a fixture: which version it is, and why it fails, if it does. */
export interface FixtureCheck {
  readonly type: string;
  readonly schemaVersion: number;
  readonly problem?: string;
}

export interface GateInput {
  /** The versions in the code, oldest first, per type (ORDER_EVENT_VERSIONS). */
  readonly registry: { readonly [type: string]: readonly { schema: Schema; upcast?: unknown }[] };
  readonly snapshots: readonly SchemaSnapshot[];
  readonly fixtures: readonly FixtureCheck[];
}

export interface GateResult {
  /** Each names the type, the version and, for a schema change, the field. */
  readonly problems: string[];
  /** Versions in the code with no snapshot yet: `--publish` writes them. */
  readonly unpublished: SchemaSnapshot[];
  /** Published versions changed compatibly: `--publish` updates their snapshots. */
  readonly changed: SchemaSnapshot[];
}

/**
 * The evolution rules, checked on the registry against the published snapshots: a published
 * version is never removed and changes only compatibly (old events must still validate); every
 * version but the newest has an upcaster to the next; every version has a fixture, which reads.
 */
export function checkSchemaGate({ registry, snapshots, fixtures }: GateInput): GateResult {
  const problems: string[] = [];
  const changed: SchemaSnapshot[] = [];
  const label = (type: string, version: number) => `${type} v${version}`;

  for (const snapshot of snapshots) {
    const { type, schemaVersion } = snapshot;
    const versions = Object.hasOwn(registry, type) ? registry[type] : undefined;
    if (versions === undefined) {
      problems.push(
        `${label(type, schemaVersion)}: published, but the type is gone from the code; old events still carry it (never remove or rename a type)`,
      );
      continue;
    }
    const current = versions[schemaVersion - 1];
    if (current === undefined) {
      problems.push(
        `${label(type, schemaVersion)}: published, but the version is gone from the code; old events still carry it`,
      );
      continue;
    }
    const breaking = breakingChanges(snapshot.schema, current.schema);
    problems.push(...breaking.map((problem) => `${label(type, schemaVersion)}: ${problem}`));
    if (
      breaking.length === 0 &&
      JSON.stringify(snapshot.schema) !== JSON.stringify(current.schema)
    ) {
      changed.push({ type, schemaVersion, schema: current.schema });
    }
  }

  const unpublished: SchemaSnapshot[] = [];
  for (const [type, versions] of Object.entries(registry)) {
    versions.forEach((version, index) => {
      const schemaVersion = index + 1;
      const name = label(type, schemaVersion);
      const newest = schemaVersion === versions.length;
      if (!snapshots.some((s) => s.type === type && s.schemaVersion === schemaVersion)) {
        unpublished.push({ type, schemaVersion, schema: version.schema });
        // Versions are published in order: one older than a published one lost its snapshot.
        if (snapshots.some((s) => s.type === type && s.schemaVersion > schemaVersion)) {
          problems.push(
            `${name}: no snapshot, though v${schemaVersion + 1} is published; published snapshots are never deleted`,
          );
        }
      }
      if (!newest && version.upcast === undefined) {
        problems.push(`${name}: no upcaster to v${schemaVersion + 1}`);
      }
      if (newest && version.upcast !== undefined) {
        problems.push(
          `${name}: the newest version has an upcaster, to a version that does not exist`,
        );
      }
      const fixture = fixtures.find((f) => f.type === type && f.schemaVersion === schemaVersion);
      if (fixture === undefined) {
        problems.push(
          `${name}: no fixture; every version keeps an example event (${type}.v${schemaVersion}.json)`,
        );
      } else if (fixture.problem !== undefined) {
        problems.push(`${name}: the fixture does not read: ${fixture.problem}`);
      }
    });
  }
  for (const fixture of fixtures) {
    const versions = Object.hasOwn(registry, fixture.type) ? registry[fixture.type] : [];
    if (fixture.schemaVersion < 1 || fixture.schemaVersion > versions.length) {
      problems.push(
        `${label(fixture.type, fixture.schemaVersion)}: a fixture of a version the code does not have`,
      );
    }
  }
  return { problems, unpublished, changed };
}
