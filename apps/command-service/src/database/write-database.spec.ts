import { readdirSync } from 'node:fs';
import { WRITE_DATABASE_MIGRATIONS, WRITE_DATABASE_MIGRATIONS_DIR } from './write-database';

describe('the write database migrations', () => {
  it('wrap every SQL file of migrations/, in file order, with names TypeORM orders the same way', () => {
    const files = readdirSync(WRITE_DATABASE_MIGRATIONS_DIR)
      .filter((file) => file.endsWith('.sql'))
      .sort();
    const migrations = WRITE_DATABASE_MIGRATIONS.map((Migration) => new Migration());
    expect(migrations.map((migration) => `${migration.legacyId}.sql`)).toEqual(files);
    const timestamps = migrations.map((migration) => Number(migration.name.slice(-13)));
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    expect(migrations[0].name).toBe('EventStore1764547200001');
  });
});
