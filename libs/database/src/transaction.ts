import { Client, type Pool, type PoolClient } from 'pg';
import { DatabaseOverloadedError } from './bounded-pool';

/** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
export async function withTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  // The pool listens for errors of idle connections only. A connection PostgreSQL drops while
  // checked out here (a restart between two statements) emits 'error' too, which would end
  // the process without a listener; the statement in flight fails on its own.
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      // The connection itself failed; it must not go back into the pool.
      broken = true;
    }
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** PostgreSQL's SQLSTATE for a unique or primary key violation. */
export const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pgError = error as { code?: unknown; constraint?: unknown };
  return (
    pgError.code === UNIQUE_VIOLATION &&
    (constraint === undefined || pgError.constraint === constraint)
  );
}

/**
 * Whether `error` is PostgreSQL being unreachable or overloaded rather than refusing a statement:
 * nothing the caller sent was wrong, and the same request may succeed later.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  if (error instanceof DatabaseOverloadedError) return true;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    // 08: connection exceptions; 57P01-03: shutting down or starting up; 53: out of resources
    // (too many connections); 57014, 55P03: statement or lock timeout; 40001, 40P01: serialization
    // failure, deadlock.
    if (/^(08|53)|^57P0[123]$|^(57014|55P03|40001|40P01)$/.test(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code))
      return true;
  }
  // pg's own words for a connection that is gone: ended mid-statement, never made, or dropped
  // between two statements of a checked-out client ("…connection error and is not queryable").
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|is not queryable/.test(message)
  );
}

/** One short-lived connection for `work` (admin tasks, scripts), closed whatever happens. */
export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
