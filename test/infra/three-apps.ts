import { CommandServiceUnderTest } from '../../apps/command-service/test/command-service.harness';
import { ProjectorUnderTest } from '../../apps/projector/test/projector.harness';
import { APP_ROLES, grantAppRole } from '../../tools/db/provision';
import {
  startApp,
  stopApp,
  waitUntilAppReady,
  type RunningApp,
} from '../../tools/local-suite/suite-apps';
import { buildApps } from './build';
import { freePort } from './free-port';
import { readHandle } from './infra-handle';

/**
 * The three built apps on one topic, as the suite runs them: commands in, the projector's view,
 * the query-service reading it with its own read-only role.
 */
export class ThreeAppsUnderTest {
  readonly projector: ProjectorUnderTest;
  readonly commands: CommandServiceUnderTest;
  projectorApp!: RunningApp;
  commandApp!: RunningApp;
  queryApp!: RunningApp;

  /** `env`: set for all three apps. */
  constructor(private readonly env: Record<string, string> = {}) {
    this.projector = new ProjectorUnderTest(env);
    this.commands = new CommandServiceUnderTest({
      ...env,
      ORDER_EVENTS_TOPIC: this.projector.topic,
    });
  }

  async setUp(): Promise<void> {
    await buildApps();
    await this.projector.setUp();
    await this.commands.setUp();
    const queryUrl = await grantAppRole(readHandle().databaseAdminUrl, {
      database: this.projector.database.name,
      role: APP_ROLES.queryService.role,
      access: APP_ROLES.queryService.access,
      password: 'query-service-e2e',
    });
    this.queryApp = startApp(
      {
        name: 'query-service',
        port: await freePort(),
        env: { DATABASE_URL: queryUrl, LOG_LEVEL: 'warn', ...this.env },
      },
      () => undefined,
    );
    [this.projectorApp, this.commandApp] = await Promise.all([
      this.projector.start(),
      this.commands.start(),
    ]);
    await waitUntilAppReady(this.queryApp);
  }

  async tearDown(): Promise<void> {
    if (this.queryApp) await stopApp(this.queryApp, 5_000);
    await this.commands.tearDown();
    await this.projector.tearDown();
  }
}
