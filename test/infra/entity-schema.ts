import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from '@app/database';
import { MIGRATION_BOOKKEEPING } from './schema-catalog';

interface CatalogColumn {
  relation: string;
  kind: 'table' | 'view';
  column: string;
  type: string;
  not_null: boolean;
  primary: boolean;
}

/**
 * How a database's entities and its migrated schema (the database `options` connect to) disagree, one line
 * each; none when every table and view of `public` (but the migration bookkeeping) has an entity
 * of its kind, every entity has its relation, and each side's columns are the other's, with the
 * same type (format_type's spelling), nullability and primary key (tables; a view's columns have
 * neither).
 */
export async function entitySchemaMismatches(
  options: PostgresDataSourceOptions,
): Promise<string[]> {
  const dataSource = await new DataSource(options).initialize();
  try {
    const catalog = await dataSource.query<CatalogColumn[]>(
      `SELECT c.relname AS relation,
              CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END AS kind,
              a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
              a.attnotnull AS not_null,
              EXISTS (SELECT 1 FROM pg_index i
                       WHERE i.indrelid = c.oid AND i.indisprimary
                         AND a.attnum = ANY (i.indkey)) AS primary
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
          -- A partitioned table's entity describes its partitions (a generation's rows) too.
          AND NOT c.relispartition
          AND c.relname <> ALL ($1)`,
      [MIGRATION_BOOKKEEPING],
    );
    const problems: string[] = [];
    const relations = new Map<string, Map<string, CatalogColumn>>();
    for (const row of catalog) {
      if (!relations.has(row.relation)) relations.set(row.relation, new Map());
      relations.get(row.relation)!.set(row.column, row);
    }
    const described = new Set<string>();
    for (const metadata of dataSource.entityMetadatas) {
      const name = metadata.tableName;
      const kind = metadata.tableType === 'view' ? 'view' : 'table';
      described.add(name);
      const columns = relations.get(name);
      if (!columns) {
        problems.push(`${kind} ${name}: has an entity (${metadata.name}) but is not in the schema`);
        continue;
      }
      const actualKind = [...columns.values()][0].kind;
      if (actualKind !== kind) problems.push(`${name}: a ${actualKind}, its entity a ${kind}`);
      const entityColumns = new Set<string>();
      for (const column of metadata.columns) {
        const where = `${name}.${column.databaseName}`;
        entityColumns.add(column.databaseName);
        const actual = columns.get(column.databaseName);
        if (!actual) {
          problems.push(`${where}: in the entity, not in the ${kind}`);
          continue;
        }
        const type = `${dataSource.driver.normalizeType(column)}${column.isArray ? '[]' : ''}`;
        if (type !== actual.type) {
          problems.push(`${where}: the entity says ${type}, the ${kind} ${actual.type}`);
        }
        if (kind === 'table' && column.isNullable === actual.not_null) {
          problems.push(`${where}: nullable in the ${column.isNullable ? 'entity' : 'table'} only`);
        }
        if (kind === 'table' && column.isPrimary !== actual.primary) {
          problems.push(
            `${where}: primary key in the ${column.isPrimary ? 'entity' : 'table'} only`,
          );
        }
      }
      for (const column of columns.keys()) {
        if (!entityColumns.has(column)) {
          problems.push(`${name}.${column}: in the ${kind}, not in its entity ${metadata.name}`);
        }
      }
    }
    for (const [name, columns] of relations) {
      if (!described.has(name)) {
        problems.push(`${[...columns.values()][0].kind} ${name}: has no entity`);
      }
    }
    return problems.sort();
  } finally {
    await dataSource.destroy();
  }
}
