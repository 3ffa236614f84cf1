import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SCHEMAS_DIR } from './event-fixtures';
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

/**
 * Every snapshot as it was first committed, from git history: the gate's anchor against a
 * snapshot deleted or edited together with its schema (the files alone cannot show that).
 * Empty when there is no git history to read (e.g. a source tarball).
 */
export function readFirstPublished(directory = SNAPSHOTS_DIR): SchemaSnapshot[] {
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: directory,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  let root: string;
  let log: string;
  try {
    root = git('rev-parse', '--show-toplevel').trim();
    // Oldest first: the first commit that added each file.
    log = git(
      'log',
      '--reverse',
      '--diff-filter=A',
      '--format=commit %H',
      '--name-only',
      '--',
      '.',
    );
  } catch {
    return [];
  }
  const first = new Map<string, string>();
  let commit = '';
  for (const line of log.split('\n')) {
    if (line.startsWith('commit ')) commit = line.slice('commit '.length);
    else if (line.trim() !== '' && !first.has(line)) first.set(line, commit);
  }
  const snapshots: SchemaSnapshot[] = [];
  for (const [path, added] of first) {
    const match = SNAPSHOT_NAME.exec(basename(path));
    if (!match) continue;
    const schema = JSON.parse(
      execFileSync('git', ['show', `${added}:${path}`], { cwd: root, encoding: 'utf8' }),
    ) as SchemaSnapshot['schema'];
    snapshots.push({ type: match[1], schemaVersion: Number(match[2]), schema });
  }
  return snapshots;
}
