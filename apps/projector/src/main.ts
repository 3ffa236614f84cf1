import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { createHttpApp, listen, runApp, serveOpenApi } from '@app/http-platform';
import { connectReliableKafka } from '@app/kafka';
import { serveAdminConsole } from './admin/admin-console';
import { projectorEnv } from './projector.config';
import { ProjectorModule } from './projector.module';

runApp('projector', async () => {
  const config = loadConfig(projectorEnv);
  const app = await createHttpApp(ProjectorModule.forRoot(config), config.http);
  serveOpenApi(app, {
    title: 'projector',
    description:
      'Keeps the order view from the order-events topic. Admin API (Bearer token): replay and its cancel, status, parked events.',
  });
  await serveAdminConsole(app);
  // A hybrid app: the admin API over HTTP, the live projection over ReliableKafkaServer. The
  // modules initialise (Kafka's topics checked) before the transport starts consuming.
  connectReliableKafka(app);
  await app.init();
  await app.startAllMicroservices();
  await listen(app, config.http);
});
