import { Inject, Injectable } from '@nestjs/common';
import { Pool, type PoolClient } from 'pg';
import { withTransaction } from '@app/database';

/**
 * Transactions on the read database, for services whose unit of work spans repositories: each
 * repository's statements run on the `tx` they are given.
 */
@Injectable()
export class ReadDatabase {
  constructor(@Inject(Pool) private readonly pool: Pool) {}

  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, work);
  }
}
