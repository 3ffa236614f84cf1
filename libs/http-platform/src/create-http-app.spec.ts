import { Controller, Get, Module } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { createHttpApp } from './create-http-app';
import { PlatformModule } from './platform.module';

@Controller()
class SlowController {
  @Get('slow')
  async slow() {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { done: true };
  }
}

@Module({
  imports: [
    PlatformModule.forRoot({ appName: 'admission-test', logLevel: 'warn', readinessChecks: [] }),
  ],
  controllers: [SlowController],
})
class SlowModule {}

describe('createHttpApp admission', () => {
  it('works on HTTP_MAX_IN_FLIGHT requests at once, refuses the rest after their time in line, and logs each refusal', async () => {
    // Refusals end the request before the request log's middleware sees it.
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const app = await createHttpApp(
      { module: SlowModule },
      {
        HTTP_MAX_IN_FLIGHT: 1,
        HTTP_MAX_QUEUED: 10,
        HTTP_MAX_QUEUE_MS: 50,
        HTTP_OVERLOAD_IN_FLIGHT: 1,
        HTTP_OVERLOAD_QUEUE_MS: 50,
      },
    );
    await app.listen(0, '127.0.0.1');
    try {
      const url = await app.getUrl();
      const statuses = await Promise.all(
        [1, 2, 3].map(async () => (await fetch(`${url}/slow`)).status),
      );
      expect(statuses.sort()).toEqual([200, 503, 503]);
      const refusals = warn.mock.calls.filter(([, message]) => message === 'request refused');
      expect(refusals).toHaveLength(2);
      expect(refusals[0][0]).toMatchObject({ method: 'GET', url: '/slow', status: 503 });
    } finally {
      warn.mockRestore();
      await app.close();
    }
  });
});
