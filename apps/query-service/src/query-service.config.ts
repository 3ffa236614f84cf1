import type { loadConfig } from '@app/config';
import { DatabaseEnv } from '@app/database';
import { HttpEnv } from '@app/http-platform';

export class QueryServiceHttpEnv extends HttpEnv {
  override PORT: number = 3002;
}

export const queryServiceEnv = {
  http: QueryServiceHttpEnv,
  database: DatabaseEnv,
};

export type QueryServiceConfig = ReturnType<typeof loadConfig<typeof queryServiceEnv>>;
