import type { ClientBase } from 'pg';
import { LEGACY_MIGRATIONS_TABLE, MIGRATIONS_TABLE } from '@app/database';

/** The migration runners' own records: not part of the schema the migrations make. */
export const MIGRATION_BOOKKEEPING = [LEGACY_MIGRATIONS_TABLE, MIGRATIONS_TABLE];

/**
 * The schema of `public`, as the catalog describes it (the embedded PostgreSQL has no pg_dump):
 * columns with types, defaults, nullability and identity; constraints and indexes with their
 * definitions; views, functions and triggers with theirs; sequences. Everything sorted, so two
 * databases with the same schema give equal snapshots. The migration bookkeeping tables (and
 * what belongs to them) are left out.
 */
export async function schemaSnapshot(client: ClientBase): Promise<Record<string, string[]>> {
  const excluded = MIGRATION_BOOKKEEPING;
  const rows = async (sql: string) =>
    (await client.query<{ line: string }>(sql, [excluded])).rows.map((row) => row.line);
  const inPublic = `n.nspname = 'public'`;
  return {
    columns: await rows(`
      SELECT format('%s.%s %s default=%s notnull=%s identity=%s generated=%s', c.relname,
                    a.attname, format_type(a.atttypid, a.atttypmod),
                    coalesce(pg_get_expr(d.adbin, d.adrelid), '-'), a.attnotnull,
                    a.attidentity, a.attgenerated) AS line
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE ${inPublic} AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0
         AND NOT a.attisdropped AND c.relname <> ALL ($1)
       ORDER BY 1`),
    constraints: await rows(`
      SELECT format('%s %s %s', c.relname, k.conname, pg_get_constraintdef(k.oid)) AS line
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE ${inPublic} AND c.relname <> ALL ($1) ORDER BY 1`),
    indexes: await rows(`
      SELECT pg_get_indexdef(i.indexrelid) AS line
        FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE ${inPublic} AND c.relname <> ALL ($1) ORDER BY 1`),
    views: await rows(`
      SELECT format('%s: %s', c.relname, pg_get_viewdef(c.oid)) AS line
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE ${inPublic} AND c.relkind IN ('v', 'm') AND c.relname <> ALL ($1) ORDER BY 1`),
    functions: await rows(`
      SELECT pg_get_functiondef(p.oid) AS line
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE ${inPublic} AND p.proname <> ALL ($1) ORDER BY 1`),
    triggers: await rows(`
      SELECT pg_get_triggerdef(t.oid) AS line
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE ${inPublic} AND NOT t.tgisinternal AND c.relname <> ALL ($1) ORDER BY 1`),
    sequences: await rows(`
      SELECT format('%s %s start=%s increment=%s', s.sequencename, s.data_type, s.start_value,
                    s.increment_by) AS line
        FROM pg_sequences s
       WHERE s.schemaname = 'public'
         AND NOT EXISTS (SELECT 1 FROM unnest($1::text[]) AS b(name)
                          WHERE s.sequencename LIKE b.name || '\\_%')
       ORDER BY 1`),
  };
}
