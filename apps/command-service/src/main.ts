import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { createHttpApp, listen, runApp } from '@app/http-platform';
import { commandServiceEnv } from './command-service.config';
import { CommandServiceModule } from './command-service.module';

runApp('command-service', async () => {
  const config = loadConfig(commandServiceEnv);
  const app = await createHttpApp(CommandServiceModule.forRoot(config));
  await listen(app, config.http);
});
