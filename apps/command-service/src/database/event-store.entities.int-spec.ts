import { migrationConnection } from '@app/database';
import { entitySchemaMismatches } from '../../../../test/infra/entity-schema';
import { createTestDatabase, type TestDatabase } from '../../../../test/infra/test-infra';
import { migrateWriteDatabase, writeDatabaseOptions } from './write-database';

describe('the write database: entities and migrated schema agree (real PostgreSQL)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('write_entities');
    await migrateWriteDatabase(database.url);
  });

  afterAll(() => database?.drop());

  it('has an entity per table, with its columns, types, nullability and keys', async () => {
    expect(
      await entitySchemaMismatches(writeDatabaseOptions(migrationConnection(database.url))),
    ).toEqual([]);
  });
});
