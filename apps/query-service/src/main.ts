import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { createHttpApp, listen, runApp, serveOpenApi } from '@app/http-platform';
import { queryServiceEnv } from './query-service.config';
import { QueryServiceModule } from './query-service.module';

runApp('query-service', async () => {
  const config = loadConfig(queryServiceEnv);
  const app = await createHttpApp(QueryServiceModule.forRoot(config), config.http);
  serveOpenApi(app, {
    title: 'query-service',
    description:
      'Orders as the read model has them. GET /orders/:id?minVersion=N waits for a write to show.',
  });
  await listen(app, config.http);
});
