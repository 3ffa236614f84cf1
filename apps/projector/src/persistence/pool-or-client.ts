import type { ClientBase, Pool } from 'pg';

/**
 * Where a read runs: the pool (a statement of its own, on whichever connection is free) or the
 * connection of a transaction the caller holds. Writes and locks are not given this choice: they
 * take the transaction's connection (`ClientBase`), so that they commit with the rest of their
 * unit of work and their locks last until it ends.
 */
export type PoolOrClient = Pool | ClientBase;
