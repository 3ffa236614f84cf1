import { migrateReadDatabase } from '@app/order-view';
import { createTestDatabase } from '../../test/infra/test-infra';
import { APP_ROLES, grantAppRole } from '../../tools/db/provision';
import type { Teardown } from '../commands/bench-infra';

/** The password of the app roles in the bench's PostgreSQL (set again on every grant). */
const ROLE_PASSWORD = 'bench-app-role';

export interface ReadDatabase {
  name: string;
  /** Superuser: filling, polling, comparing. */
  adminUrl: string;
  /** Role order_projector (read and write). */
  projectorUrl: string;
  /** Role order_query (SELECT only). */
  queryUrl: string;
}

/**
 * A fresh read database with the projector's migrations and both read-side roles, as
 * `npm run db:provision` sets them up; dropped at the end.
 */
export async function createReadDatabase(
  serverAdminUrl: string,
  prefix: string,
  teardown: Teardown,
): Promise<ReadDatabase> {
  const database = await createTestDatabase(prefix, serverAdminUrl);
  teardown.add(`database ${database.name}`, () => database.drop());
  await migrateReadDatabase(database.url);
  const grant = ({ role, access }: { role: string; access: 'read' | 'write' }) =>
    grantAppRole(serverAdminUrl, {
      database: database.name,
      role,
      access,
      password: ROLE_PASSWORD,
    });
  return {
    name: database.name,
    adminUrl: database.url,
    projectorUrl: await grant(APP_ROLES.projector),
    queryUrl: await grant(APP_ROLES.queryService),
  };
}

/** The command-service's role on a write database bench-infra's createBenchDatabase made. */
export function grantCommandRole(serverAdminUrl: string, writeDatabaseUrl: string) {
  const database = new URL(writeDatabaseUrl).pathname.slice(1);
  const { role, access } = APP_ROLES.commandService;
  return grantAppRole(serverAdminUrl, { database, role, access, password: ROLE_PASSWORD });
}
