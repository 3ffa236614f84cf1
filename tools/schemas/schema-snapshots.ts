import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMAS_DIR } from '../../libs/order-events/src/testing/event-fixtures';
import type { SchemaSnapshot } from './schema-gate';

/** The published schemas, one committed file per type and version. */
export const SNAPSHOTS_DIR = join(SCHEMAS_DIR, 'snapshots');

const SNAPSHOT_NAME = /^([A-Za-z]+)\.v(\d+)\.schema\.json$/;

export function snapshotFileName(type: string, schemaVersion: number): string {
  return `${type}.v${schemaVersion}.schema.json`;
}

export function readSnapshots(directory = SNAPSHOTS_DIR): SchemaSnapshot[] {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const match = SNAPSHOT_NAME.exec(name);
      if (!match) throw new Error(`${name}: a snapshot is named <Type>.v<N>.schema.json`);
      const schema = JSON.parse(
        readFileSync(join(directory, name), 'utf8'),
      ) as SchemaSnapshot['schema'];
      return { type: match[1], schemaVersion: Number(match[2]), schema };
    });
}
