import type { ClientBase } from 'pg';
import { withClient, type MigrationReport } from '@app/database';
import { migrateReadDatabase } from '@app/order-view';
import { migrateWriteDatabase } from '../../apps/command-service/src/database/write-database';

/**
 * The suite's databases: the write side's event store and the read side's views, each brought
 * to its latest migration by its own DataSource factory's migrate function (TypeORM migrations).
 */
export const SUITE_DATABASES = {
  write: { name: 'orders_write', migrate: migrateWriteDatabase },
  read: { name: 'orders_read', migrate: migrateReadDatabase },
} as const satisfies Record<
  string,
  { name: string; migrate: (url: string) => Promise<MigrationReport> }
>;

export type DatabaseSide = keyof typeof SUITE_DATABASES;

/** `write`: read and change rows; `read`: only read them. Neither may change the schema. */
export type AppAccess = 'write' | 'read';

/**
 * Owns the schema and runs the migrations: neither a superuser nor any app's login, so an app's
 * leaked password can never change the schema and migrations hold no more than DDL rights in
 * the suite's own databases.
 */
export const MIGRATION_ROLE = 'order_migrator';

/** Each app connects with its own least-privilege role (migrations run as MIGRATION_ROLE). */
export const APP_ROLES = {
  commandService: { role: 'order_command', database: 'write', access: 'write' },
  projector: { role: 'order_projector', database: 'read', access: 'write' },
  queryService: { role: 'order_query', database: 'read', access: 'read' },
} as const satisfies Record<string, { role: string; database: DatabaseSide; access: AppAccess }>;

export type AppName = keyof typeof APP_ROLES;
export type AppDatabaseUrls = Record<AppName, string>;
/** One secret per role: a leaked query-service password must not open the event store. */
export type AppDatabasePasswords = Record<AppName, string>;

/**
 * Tables a role may read and append to but never change: the event store is the source of
 * truth, so even the command-service cannot rewrite or erase history (UPDATE, DELETE, TRUNCATE
 * fail with SQLSTATE 42501). Keyed by role, so every caller of grantAppRole applies it.
 */
const APPEND_ONLY_TABLES: Record<string, string[]> = {
  [APP_ROLES.commandService.role]: ['order_events'],
};

/** `adminUrl` with its database replaced by `database`, and its user by `as` when given. */
export function databaseUrl(
  adminUrl: string,
  database: string,
  as?: { user: string; password: string },
): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  if (as) {
    // The URL setters leave `%` alone, and pg decodes both with decodeURIComponent.
    url.username = encodeURIComponent(as.user);
    url.password = encodeURIComponent(as.password);
  }
  return url.toString();
}

export interface ProvisionOptions {
  /** Each app role's password; set again on each run. */
  passwords: AppDatabasePasswords;
  /** MIGRATION_ROLE's password, its own secret too. */
  migratorPassword: string;
  /** Defaults to `orders_write` / `orders_read`; tests pass names of their own. */
  databases?: Partial<Record<DatabaseSide, string>>;
  log?: (message: string) => void;
}

/**
 * Creates the suite's databases when missing, brings each to its latest migration, then gives
 * each app's role its privileges. Returns each app's connection URL.
 */
export async function provisionDatabases(
  adminUrl: string,
  { passwords, migratorPassword, databases = {}, log = () => undefined }: ProvisionOptions,
): Promise<AppDatabaseUrls> {
  const names: Record<DatabaseSide, string> = {
    write: databases.write ?? SUITE_DATABASES.write.name,
    read: databases.read ?? SUITE_DATABASES.read.name,
  };
  const migrator = quotedIdentifier(MIGRATION_ROLE);
  await withClient(adminUrl, async (admin) => {
    await ensureLoginRole(admin, MIGRATION_ROLE, migratorPassword);
    for (const name of Object.values(names)) {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
        name,
      ]);
      const db = admin.escapeIdentifier(name);
      if (rowCount === 0) {
        await admin.query(`CREATE DATABASE ${db} OWNER ${migrator}`);
        log(`created database ${name}`);
      } else {
        await admin.query(`ALTER DATABASE ${db} OWNER TO ${migrator}`);
      }
    }
  });
  for (const side of ['write', 'read'] as const) {
    const name = names[side];
    // Objects a superuser created (before the migration role existed) pass to it.
    await withClient(databaseUrl(adminUrl, name), (client) => client.query(ADOPT_SCHEMA_OBJECTS));
    const migratorUrl = databaseUrl(adminUrl, name, {
      user: MIGRATION_ROLE,
      password: migratorPassword,
    });
    log(`${name}: ${describeMigration(await SUITE_DATABASES[side].migrate(migratorUrl))}`);
  }
  // After the migrations, on every run, so that the tables they added are covered too.
  const urls: Partial<AppDatabaseUrls> = {};
  for (const [app, { role, database, access }] of Object.entries(APP_ROLES)) {
    const password = passwords[app as AppName];
    const grant = { database: names[database], role, access, password };
    urls[app as keyof AppDatabaseUrls] = await grantAppRole(adminUrl, grant);
    log(`${role}: ${access} access to ${names[database]}`);
  }
  return urls as AppDatabaseUrls;
}

function describeMigration({ applied, recognised }: MigrationReport): string {
  const parts = [
    ...(applied.length > 0 ? [`applied ${applied.join(', ')}`] : []),
    // A database the home-made runner migrated (schema_migrations), now recorded by TypeORM.
    ...(recognised.length > 0 ? [`recognised ${recognised.join(', ')} as applied`] : []),
  ];
  return parts.length === 0 ? 'up to date' : parts.join('; ');
}

/** pg's escapeIdentifier, where no client is at hand. */
function quotedIdentifier(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** Every table, view, free-standing sequence and function of `public`, owned by MIGRATION_ROLE. */
const ADOPT_SCHEMA_OBJECTS = `
DO $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT c.oid::regclass AS name,
           CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                          WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
       AND pg_get_userbyid(c.relowner) <> '${MIGRATION_ROLE}'
       -- Sequences of identity and serial columns follow their table.
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass
                          AND d.deptype IN ('a', 'i'))
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO ${MIGRATION_ROLE}', r.kind, r.name);
  END LOOP;
  FOR r IN
    SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '${MIGRATION_ROLE}'
  LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO ${MIGRATION_ROLE}', r.name);
  END LOOP;
END $$`;

/**
 * Creates `role` (LOGIN, no other attribute) when missing and sets `password` on every call,
 * under the provisioning lock (concurrent CREATE ROLE of one name fails). Refuses a superuser.
 */
async function ensureLoginRole(admin: ClientBase, role: string, password: string): Promise<void> {
  await admin.query('SELECT pg_advisory_lock($1)', [ROLE_LOCK_KEY]);
  try {
    const { rows } = await admin.query<{ rolsuper: boolean }>(
      'SELECT rolsuper FROM pg_roles WHERE rolname = $1',
      [role],
    );
    if (rows[0]?.rolsuper) {
      throw new Error(`Role ${role} is a superuser: it cannot serve as a least-privilege role`);
    }
    const verb = rows.length === 0 ? 'CREATE' : 'ALTER';
    await admin.query(
      `${verb} ROLE ${admin.escapeIdentifier(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${admin.escapeLiteral(password)}`,
    );
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1)', [ROLE_LOCK_KEY]);
  }
}

export interface AppRoleGrant {
  database: string;
  role: string;
  access: AppAccess;
  password: string;
}

const TABLE_PRIVILEGES: Record<AppAccess, string> = {
  write: 'SELECT, INSERT, UPDATE, DELETE',
  read: 'SELECT',
};

// Any fixed number works; it only has to be the same for every caller of grantAppRole.
const ROLE_LOCK_KEY = 727_003;

/**
 * Creates `role` when missing (LOGIN, `password` set on every call so a changed one takes
 * effect) and gives it exactly `access` to the tables and sequences in `database`'s public
 * schema, which then admits only the roles granted on it (and superusers). Idempotent, and
 * safe to call concurrently. Returns the role's connection URL.
 */
export async function grantAppRole(adminUrl: string, grant: AppRoleGrant): Promise<string> {
  const { database, role, access, password } = grant;
  await withClient(adminUrl, async (admin) => {
    // One caller at a time: concurrent CREATE ROLE of one name fails (unique_violation), and so
    // do concurrent GRANTs on one object ("tuple concurrently updated"). Advisory locks live in
    // one database, the admin URL's, for every caller; the lock ends with the connection.
    await admin.query('SELECT pg_advisory_lock($1)', [ROLE_LOCK_KEY]);
    const { rows } = await admin.query<{ rolsuper: boolean }>(
      'SELECT rolsuper FROM pg_roles WHERE rolname = $1',
      [role],
    );
    if (rows[0]?.rolsuper) {
      throw new Error(`Role ${role} is a superuser: it cannot serve as a least-privilege app role`);
    }
    const r = admin.escapeIdentifier(role);
    const db = admin.escapeIdentifier(database);
    const verb = rows.length === 0 ? 'CREATE' : 'ALTER';
    await admin.query(`${verb} ROLE ${r} LOGIN PASSWORD ${admin.escapeLiteral(password)}`);
    // PUBLIC may connect to (and create temporary tables in) any new database: not to this one.
    await admin.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
    await admin.query(`GRANT CONNECT ON DATABASE ${db} TO ${r}`);

    // Schema privileges live in the database itself. Revoke, then grant, in one implicit
    // transaction (a multi-statement query), so the role ends up with exactly this set.
    const tables = TABLE_PRIVILEGES[access];
    const write = access === 'write';
    const appendOnly = (APPEND_ONLY_TABLES[role] ?? []).map((table) =>
      admin.escapeIdentifier(table),
    );
    const statements = [
      // Before PostgreSQL 15, PUBLIC may create tables in the public schema.
      'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
      `GRANT USAGE ON SCHEMA public TO ${r}`,
      `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${r}`,
      `GRANT ${tables} ON ALL TABLES IN SCHEMA public TO ${r}`,
      ...appendOnly.map((table) => `REVOKE UPDATE, DELETE, TRUNCATE ON ${table} FROM ${r}`),
      `REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${r}`,
      ...(write ? [`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${r}`] : []),
      // The schema's functions (the read model's generation partitions) are for the roles that
      // write; the migrations revoke them from PUBLIC.
      `REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM ${r}`,
      ...(write ? [`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${r}`] : []),
      // Tables created before the next provisioning run are covered too: by the admin role here,
      // by the migration role below.
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM ${r}`,
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ${tables} ON TABLES TO ${r}`,
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM ${r}`,
      ...(write
        ? [`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${r}`]
        : []),
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON FUNCTIONS FROM ${r}`,
      ...(write
        ? [`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO ${r}`]
        : []),
    ];
    const { rowCount: hasMigrator } = await admin.query(
      'SELECT 1 FROM pg_roles WHERE rolname = $1',
      [MIGRATION_ROLE],
    );
    const migratorDefaults = hasMigrator
      ? statements
          .filter((statement) => statement.startsWith('ALTER DEFAULT PRIVILEGES IN SCHEMA'))
          .map((statement) =>
            statement.replace(
              'ALTER DEFAULT PRIVILEGES',
              `ALTER DEFAULT PRIVILEGES FOR ROLE ${admin.escapeIdentifier(MIGRATION_ROLE)}`,
            ),
          )
      : [];
    await withClient(databaseUrl(adminUrl, database), (client) =>
      client.query([...statements, ...migratorDefaults].join(';\n')),
    );
  });
  return databaseUrl(adminUrl, database, { user: role, password });
}

/** The environment variable that carries `app`'s role password: ORDER_COMMAND_DB_PASSWORD, … */
export function passwordVariable(app: AppName): string {
  return `${APP_ROLES[app].role.toUpperCase()}_DB_PASSWORD`;
}

export const MIGRATOR_PASSWORD_VARIABLE = `${MIGRATION_ROLE.toUpperCase()}_DB_PASSWORD`;

if (require.main === module) {
  const { DATABASE_ADMIN_URL: adminUrl } = process.env;
  const apps = Object.keys(APP_ROLES) as AppName[];
  const missing = [
    ...(adminUrl ? [] : ['DATABASE_ADMIN_URL (a superuser URL)']),
    ...[...apps.map(passwordVariable), MIGRATOR_PASSWORD_VARIABLE].filter(
      (name) => !process.env[name],
    ),
  ];
  if (missing.length > 0) {
    for (const name of missing) console.error(`provision: ${name} is required`);
    process.exit(1);
  }
  const passwords = Object.fromEntries(
    apps.map((app) => [app, process.env[passwordVariable(app)]!]),
  ) as AppDatabasePasswords;
  const log = (message: string) => console.log(`provision: ${message}`);
  const migratorPassword = process.env[MIGRATOR_PASSWORD_VARIABLE]!;
  provisionDatabases(adminUrl!, { passwords, migratorPassword, log }).catch((error: unknown) => {
    // The message only: a pg error can quote the statement, and ALTER ROLE carries a password.
    console.error(`provision: failed: ${(error as Error).message}`);
    process.exit(1);
  });
}
