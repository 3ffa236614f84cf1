import type { loadConfig } from '@app/config';
import { DatabaseEnv } from '@app/database';
import { HttpEnv } from '@app/http-platform';
import { ReadYourWritesEnv } from './read-your-writes/read-your-writes.config';

export class QueryServiceHttpEnv extends HttpEnv {
  override PORT: number = 3002;
}

export const queryServiceEnv = {
  http: QueryServiceHttpEnv,
  database: DatabaseEnv,
  readYourWrites: ReadYourWritesEnv,
};

export type QueryServiceConfig = ReturnType<typeof loadConfig<typeof queryServiceEnv>>;
