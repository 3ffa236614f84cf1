import { readdirSync } from 'node:fs';
import { READ_MODEL_MIGRATIONS_DIR } from './read-model';
import { READ_MODEL_MIGRATIONS } from './read-database';

describe('the read database migrations', () => {
  it('wrap every SQL file of migrations/, in file order, with names TypeORM orders the same way', () => {
    const files = readdirSync(READ_MODEL_MIGRATIONS_DIR)
      .filter((file) => file.endsWith('.sql'))
      .sort();
    const migrations = READ_MODEL_MIGRATIONS.map((Migration) => new Migration());
    expect(migrations.map((migration) => `${migration.legacyId}.sql`)).toEqual(files);
    const timestamps = migrations.map((migration) => Number(migration.name.slice(-13)));
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    expect(migrations[2].name).toBe('ReplayCancelled1764547200003');
  });
});
