import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { createHttpApp, listen, runApp } from '@app/http-platform';
import { queryServiceEnv } from './query-service.config';
import { QueryServiceModule } from './query-service.module';

runApp('query-service', async () => {
  const config = loadConfig(queryServiceEnv);
  const app = await createHttpApp(QueryServiceModule.forRoot(config));
  await listen(app, config.http);
});
