import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { createHttpApp, listen, runApp } from '@app/http-platform';
import { projectorEnv } from './projector.config';
import { ProjectorModule } from './projector.module';

runApp('projector', async () => {
  const config = loadConfig(projectorEnv);
  const app = await createHttpApp(ProjectorModule.forRoot(config));
  await listen(app, config.http);
});
