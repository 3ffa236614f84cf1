import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { ORDER_EVENT_VERSIONS, upcastOrderEvent } from '@app/order-events';
import { readEventFixtures } from './event-fixtures';
import { checkSchemaGate, type FixtureCheck, type SchemaSnapshot } from './schema-gate';
import {
  SNAPSHOTS_DIR,
  readFirstPublished,
  readSnapshots,
  snapshotFileName,
} from './schema-snapshots';

/**
 * `npm run schemas:check`: fails (exit 1) when the code's event schemas break a published
 * version, a version lacks its upcaster or fixture, or a version is not published yet.
 * `npm run schemas:check -- --publish`: writes the snapshots of new versions and of compatible
 * changes, refusing while anything else is wrong. Commit the snapshots it writes.
 */
async function main(publish: boolean): Promise<number> {
  const fixtures: FixtureCheck[] = readEventFixtures().map((fixture) => {
    const { event } = fixture;
    if (event.type !== fixture.type || event.schemaVersion !== fixture.schemaVersion) {
      return { ...fixture, problem: `it holds ${event.type} v${event.schemaVersion}` };
    }
    const reading = upcastOrderEvent(event);
    return reading.kind === 'read' ? fixture : { ...fixture, problem: reading.reason };
  });
  // The snapshots as first committed count too: a snapshot deleted, or edited together with its
  // schema, must not let an incompatible change through.
  const snapshots = readSnapshots();
  const firstPublished = readFirstPublished();
  const same = (a: SchemaSnapshot, b: SchemaSnapshot) =>
    a.type === b.type && a.schemaVersion === b.schemaVersion;
  const deleted = firstPublished.filter((first) => !snapshots.some((now) => same(now, first)));
  const edited = firstPublished.filter((first) =>
    snapshots.some(
      (now) => same(now, first) && JSON.stringify(now.schema) !== JSON.stringify(first.schema),
    ),
  );
  const result = checkSchemaGate({
    registry: ORDER_EVENT_VERSIONS,
    snapshots: [...snapshots, ...deleted, ...edited],
    fixtures,
  });
  const toPublish = [...result.unpublished, ...result.changed];
  const problems = [
    ...deleted.map(
      ({ type, schemaVersion }) =>
        `${type} v${schemaVersion}: its published snapshot was deleted (${snapshotFileName(type, schemaVersion)}); published snapshots are never deleted`,
    ),
    ...new Set(result.problems),
  ];
  if (!publish) {
    problems.push(
      ...toPublish.map(
        ({ type, schemaVersion }) =>
          `${type} v${schemaVersion}: not published; run \`npm run schemas:check -- --publish\` and commit ${snapshotFileName(type, schemaVersion)}`,
      ),
    );
  }
  if (problems.length > 0) {
    for (const problem of problems) console.error(`schemas:check: ${problem}`);
    return 1;
  }
  for (const snapshot of publish ? toPublish : []) {
    console.log(
      `schemas:check: published ${relative(process.cwd(), await writeSnapshot(snapshot))}`,
    );
  }
  const versions = Object.values(ORDER_EVENT_VERSIONS).reduce((n, list) => n + list.length, 0);
  console.log(
    `schemas:check: ${versions} versions of ${Object.keys(ORDER_EVENT_VERSIONS).length} event types, compatible with their snapshots, each with its upcaster and fixture`,
  );
  return 0;
}

/** Written as Prettier would, so that `npm run lint` accepts the committed files as they are. */
async function writeSnapshot(snapshot: SchemaSnapshot): Promise<string> {
  mkdirSync(SNAPSHOTS_DIR, { recursive: true });
  const file = join(SNAPSHOTS_DIR, snapshotFileName(snapshot.type, snapshot.schemaVersion));
  const options = (await resolveConfig(file)) ?? {};
  writeFileSync(
    file,
    await format(JSON.stringify(snapshot.schema), { ...options, parser: 'json' }),
  );
  return file;
}

if (require.main === module) {
  main(process.argv.includes('--publish')).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error('schemas:check: failed', error);
      process.exit(1);
    },
  );
}
