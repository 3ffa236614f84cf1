import type { ClientBase, Pool } from 'pg';

/**
 * Where a repository's statement runs: the pool (a statement of its own) or the connection of a
 * transaction the caller holds. Statements that take locks want the latter.
 */
export type Session = Pool | ClientBase;
