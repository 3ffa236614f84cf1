import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordedOrderEvent } from '@app/order-events';

/** Where the published schemas' snapshots and the example events of every version live. */
export const SCHEMAS_DIR = join(__dirname, '../../libs/order-events/schemas');
export const FIXTURES_DIR = join(SCHEMAS_DIR, 'fixtures');

/** An example event of one published version, as a writer of that version put it on the topic. */
export interface EventFixture {
  readonly type: string;
  readonly schemaVersion: number;
  readonly file: string;
  /** The record value, as stored. */
  readonly value: string;
  readonly event: RecordedOrderEvent;
}

const FIXTURE_NAME = /^([A-Za-z]+)\.v(\d+)\.json$/;

export function fixtureFileName(type: string, schemaVersion: number): string {
  return `${type}.v${schemaVersion}.json`;
}

/** Every fixture, named `<Type>.v<N>.json`: kept forever, never edited once published. */
export function readEventFixtures(directory = FIXTURES_DIR): EventFixture[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const match = FIXTURE_NAME.exec(name);
      if (!match) throw new Error(`${name}: a fixture is named <Type>.v<N>.json`);
      const value = readFileSync(join(directory, name), 'utf8');
      return {
        type: match[1],
        schemaVersion: Number(match[2]),
        file: join(directory, name),
        value,
        event: JSON.parse(value) as RecordedOrderEvent,
      };
    });
}
