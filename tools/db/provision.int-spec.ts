import { readHandle } from '../../test/infra/infra-handle';
import { uniqueName } from '../../test/infra/test-infra';
import {
  APP_ROLES,
  MIGRATION_ROLE,
  databaseUrl,
  grantAppRole,
  provisionDatabases,
  type AppDatabasePasswords,
  type AppDatabaseUrls,
} from './provision';
import { withClient } from '@app/database';

// The app roles are cluster-wide and shared with other test files; they all run one at a time,
// and grantAppRole sets the password of the moment on each call.
const PASSWORD = 'provision-int-spec';
/** A secret per role, as the suite generates them. */
const PASSWORDS: AppDatabasePasswords = {
  commandService: 'provision-int-spec-command',
  projector: 'provision-int-spec-projector',
  queryService: 'provision-int-spec-query',
};
const MIGRATOR_PASSWORD = 'provision-int-spec-migrator';
const INVALID_PASSWORD = { code: '28P01' };
const INSUFFICIENT_PRIVILEGE = { code: '42501' };

describe('provisionDatabases: one least-privilege role per app (real PostgreSQL)', () => {
  // Names of their own: other test files may use the same cluster.
  const names = { write: uniqueName('prov_write'), read: uniqueName('prov_read') };
  let adminUrl: string;
  let urls: AppDatabaseUrls;

  beforeAll(async () => {
    adminUrl = readHandle().databaseAdminUrl;
    await provisionDatabases(adminUrl, {
      passwords: PASSWORDS,
      migratorPassword: MIGRATOR_PASSWORD,
      databases: names,
    });
    // What a later migration adds; the next provisioning run must cover it.
    for (const name of Object.values(names)) {
      await sql(
        databaseUrl(adminUrl, name),
        'CREATE TABLE probe (id serial PRIMARY KEY, note text NOT NULL);' +
          "INSERT INTO probe (note) VALUES ('seeded')",
      );
    }
    urls = await provisionDatabases(adminUrl, {
      passwords: PASSWORDS,
      migratorPassword: MIGRATOR_PASSWORD,
      databases: names,
    });
  });

  afterAll(async () => {
    for (const name of Object.values(names)) {
      await sql(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });

  it('gives each app a URL with its own role on its own database', () => {
    const roleAndDatabase = (url: string) => [new URL(url).username, new URL(url).pathname];
    expect(roleAndDatabase(urls.commandService)).toEqual(['order_command', `/${names.write}`]);
    expect(roleAndDatabase(urls.projector)).toEqual(['order_projector', `/${names.read}`]);
    expect(roleAndDatabase(urls.queryService)).toEqual(['order_query', `/${names.read}`]);
  });

  it('lets the query role read the view and refuses every change, to data and schema', async () => {
    await withClient(urls.queryService, async (query) => {
      const { rows } = await query.query('SELECT note FROM probe');
      expect(rows).toEqual([{ note: 'seeded' }]);
      for (const statement of [
        "INSERT INTO probe (note) VALUES ('nope')",
        "UPDATE probe SET note = 'nope'",
        'DELETE FROM probe',
        'TRUNCATE probe',
        'CREATE TABLE intruder (id int)',
        'CREATE TEMPORARY TABLE intruder (id int)',
      ]) {
        await expect(query.query(statement)).rejects.toMatchObject(INSUFFICIENT_PRIVILEGE);
      }
    });
  });

  it('keeps the event store append-only for the command role: UPDATE, DELETE and TRUNCATE refused', async () => {
    await sql(
      databaseUrl(adminUrl, names.write),
      `INSERT INTO order_events (order_id, version, event_id, type, data, metadata, occurred_at)
       VALUES ('append-only-1', 1, gen_random_uuid(), 'OrderPlaced', '{}', '{}', now())`,
    );
    await withClient(urls.commandService, async (command) => {
      await command.query(
        `INSERT INTO order_events (order_id, version, event_id, type, data, metadata, occurred_at)
         VALUES ('append-only-1', 2, gen_random_uuid(), 'OrderPaid', '{}', '{}', now())`,
      );
      const { rows } = await command.query(
        "SELECT version FROM order_events WHERE order_id = 'append-only-1' ORDER BY version",
      );
      expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
      for (const statement of [
        "UPDATE order_events SET type = 'OrderShipped' WHERE order_id = 'append-only-1'",
        "DELETE FROM order_events WHERE order_id = 'append-only-1'",
        'TRUNCATE order_events',
      ]) {
        await expect(command.query(statement)).rejects.toMatchObject(INSUFFICIENT_PRIVILEGE);
      }
      // What the outbox and idempotency keys need stays allowed.
      await command.query("DELETE FROM outbox WHERE order_id = 'none'");
      await command.query("UPDATE idempotency_keys SET response = NULL WHERE key = 'none'");
    });
  });

  it('migrates as the migration role: it owns the schema, and is no superuser', async () => {
    const owners = await sql(
      databaseUrl(adminUrl, names.write),
      `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'`,
    );
    expect(owners.rows).toEqual([{ owner: MIGRATION_ROLE }]);
    const attributes = await sql(
      adminUrl,
      `SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = '${MIGRATION_ROLE}'`,
    );
    expect(attributes.rows).toEqual([
      { rolsuper: false, rolcreatedb: false, rolcreaterole: false },
    ]);
    const migratorUrl = databaseUrl(adminUrl, names.write, {
      user: MIGRATION_ROLE,
      password: MIGRATOR_PASSWORD,
    });
    // Not an app role: an app's password does not open it.
    const withAppPassword = databaseUrl(adminUrl, names.write, {
      user: MIGRATION_ROLE,
      password: PASSWORDS.commandService,
    });
    await expect(withClient(withAppPassword, () => Promise.resolve())).rejects.toMatchObject(
      INVALID_PASSWORD,
    );
    await withClient(migratorUrl, async (migrator) => {
      await expect(migrator.query('CREATE ROLE intruder')).rejects.toMatchObject(
        INSUFFICIENT_PRIVILEGE,
      );
    });
  });

  it("accepts each role's own password only: another role's is refused", async () => {
    const apps = Object.keys(APP_ROLES) as (keyof typeof APP_ROLES)[];
    for (const app of apps) {
      const { role, database } = APP_ROLES[app];
      for (const other of apps.filter((candidate) => candidate !== app)) {
        const url = databaseUrl(adminUrl, names[database], {
          user: role,
          password: PASSWORDS[other],
        });
        await expect(withClient(url, () => Promise.resolve())).rejects.toMatchObject(
          INVALID_PASSWORD,
        );
      }
    }
  });

  it.each([
    ['command-service', 'commandService', 'write'],
    ['projector', 'projector', 'read'],
  ] as const)(
    'lets the %s role insert, select, update and delete, but not change the schema',
    async (_app, app, side) => {
      expect(new URL(urls[app]).pathname).toBe(`/${names[side]}`);
      await withClient(urls[app], async (db) => {
        const inserted = await db.query("INSERT INTO probe (note) VALUES ('new') RETURNING id");
        const id = (inserted.rows[0] as { id: number }).id;
        await db.query("UPDATE probe SET note = 'changed' WHERE id = $1", [id]);
        const { rows } = await db.query('SELECT note FROM probe WHERE id = $1', [id]);
        expect(rows).toEqual([{ note: 'changed' }]);
        expect((await db.query('DELETE FROM probe WHERE id = $1', [id])).rowCount).toBe(1);
        await expect(db.query('CREATE TABLE intruder (id int)')).rejects.toMatchObject(
          INSUFFICIENT_PRIVILEGE,
        );
        await expect(db.query('DROP TABLE probe')).rejects.toMatchObject(INSUFFICIENT_PRIVILEGE);
      });
    },
  );

  it.each([
    [APP_ROLES.commandService.role, 'read'],
    [APP_ROLES.projector.role, 'write'],
    [APP_ROLES.queryService.role, 'write'],
  ] as const)('refuses %s a connection to the %s database', async (role, side) => {
    const app = (Object.keys(APP_ROLES) as (keyof typeof APP_ROLES)[]).find(
      (name) => APP_ROLES[name].role === role,
    )!;
    const url = databaseUrl(adminUrl, names[side], { user: role, password: PASSWORDS[app] });
    await expect(withClient(url, () => Promise.resolve())).rejects.toMatchObject(
      INSUFFICIENT_PRIVILEGE,
    );
  });

  it('provisions again harmlessly: same URLs, data kept, privileges unchanged', async () => {
    expect(
      await provisionDatabases(adminUrl, {
        passwords: PASSWORDS,
        migratorPassword: MIGRATOR_PASSWORD,
        databases: names,
      }),
    ).toEqual(urls);
    await withClient(urls.queryService, async (query) => {
      expect((await query.query('SELECT note FROM probe')).rows).toEqual([{ note: 'seeded' }]);
      await expect(query.query('DELETE FROM probe')).rejects.toMatchObject(INSUFFICIENT_PRIVILEGE);
    });
  });

  it('creates a new role once when several callers grant it at the same time', async () => {
    const role = uniqueName('prov_role');
    const databases = [names.write, names.read];
    try {
      // allSettled: the clean-up below must not run while a grant is still under way.
      const results = await Promise.allSettled(
        [...databases, ...databases].map((database) =>
          grantAppRole(adminUrl, { database, role, access: 'read', password: PASSWORD }),
        ),
      );
      expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
      const granted = results.map((result) => (result as PromiseFulfilledResult<string>).value);
      for (const url of granted) {
        await withClient(url, async (db) => {
          expect((await db.query('SELECT count(*)::int AS n FROM probe')).rows).toHaveLength(1);
        });
      }
    } finally {
      // Its privileges would keep DROP ROLE from working; DROP OWNED takes them, per database.
      for (const database of databases) {
        await sql(databaseUrl(adminUrl, database), `DROP OWNED BY "${role}"`).catch(() => {});
      }
      await sql(adminUrl, `DROP ROLE IF EXISTS "${role}"`);
    }
  });
});

const sql = (url: string, text: string) => withClient(url, (client) => client.query(text));
