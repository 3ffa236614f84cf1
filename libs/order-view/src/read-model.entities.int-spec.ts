import { Column, Entity, PrimaryColumn } from 'typeorm';
import { migrationConnection } from '@app/database';
import { entitySchemaMismatches } from '../../../test/infra/entity-schema';
import { createTestDatabase, type TestDatabase } from '../../../test/infra/test-infra';
import { migrateReadDatabase, readDatabaseOptions } from './read-database';

describe('the read model: entities and migrated schema agree (real PostgreSQL)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('read_entities');
    await migrateReadDatabase(database.url);
  });

  afterAll(() => database?.drop());

  it('has an entity per table and view, with their columns, types, nullability and keys', async () => {
    expect(
      await entitySchemaMismatches(readDatabaseOptions(migrationConnection(database.url))),
    ).toEqual([]);
  });

  it('would tell an entity that disagrees, a column missing from it and a table without one', async () => {
    @Entity({ name: 'order_history' })
    class StaleOrderHistory {
      @PrimaryColumn({ type: 'integer' })
      generation!: number;

      @PrimaryColumn({ type: 'text', name: 'order_id' })
      orderId!: string;

      @PrimaryColumn({ type: 'bigint' })
      version!: string;

      @Column({ type: 'jsonb', nullable: true })
      note!: unknown;
    }
    const options = readDatabaseOptions(migrationConnection(database.url));
    const problems = await entitySchemaMismatches({ ...options, entities: [StaleOrderHistory] });
    expect(problems).toEqual(
      expect.arrayContaining([
        'order_history.version: the entity says bigint, the table integer',
        'order_history.note: in the entity, not in the table',
        'order_history.entry: in the table, not in its entity StaleOrderHistory',
        'table order_view: has no entity',
        'view current_order_view: has no entity',
      ]),
    );
  });
});
