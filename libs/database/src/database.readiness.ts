import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import type { ReadinessCheck, ReadinessResult } from '@app/http-platform';

@Injectable()
export class DatabaseReadinessCheck implements ReadinessCheck {
  readonly name = 'database';

  constructor(@Inject(Pool) private readonly pool: Pool) {}

  async check(): Promise<ReadinessResult> {
    await this.pool.query('SELECT 1');
    return {};
  }
}
