import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { createHttpApp, listen, runApp, serveOpenApi } from '@app/http-platform';
import { commandServiceEnv } from './command-service.config';
import { CommandServiceModule } from './command-service.module';

runApp('command-service', async () => {
  const config = loadConfig(commandServiceEnv);
  const app = await createHttpApp(CommandServiceModule.forRoot(config), config.http);
  serveOpenApi(app, {
    title: 'command-service',
    description: 'Place, pay, ship and cancel orders. A 2xx means the event is durably stored.',
  });
  await listen(app, config.http);
});
