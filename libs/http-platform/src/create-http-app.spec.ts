import { BadRequestException, Controller, Get, HttpCode, Module, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Observable } from 'rxjs';
import { Logger } from 'nestjs-pino';
import { waitFor } from '../../../tools/local-infra/wait-for';
import type { AdmissionLimits } from './admission';
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

/** Holds each `held` request until the test lets it go; answers the others at once. */
@Controller()
class HeldController {
  readonly gates: (() => void)[] = [];
  closedConnections = 0;
  observing = 0;

  @Get('held')
  async held(@Res({ passthrough: true }) reply: FastifyReply) {
    reply.raw.once('close', () => this.closedConnections++);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    return { done: true };
  }

  /** Never emits: Nest unsubscribes once the client has gone, and sends nothing. */
  @Get('observed')
  observed(@Res({ passthrough: true }) reply: FastifyReply): Observable<never> {
    reply.raw.once('close', () => this.closedConnections++);
    return new Observable(() => {
      this.observing++;
    });
  }

  @Get('nothing')
  @HttpCode(204)
  async nothing(): Promise<void> {}

  @Get('fails')
  fails(): never {
    throw new BadRequestException('refused by the handler');
  }
}

const platform = PlatformModule.forRoot({
  appName: 'admission-test',
  logLevel: 'warn',
  readinessChecks: [],
});

@Module({ imports: [platform], controllers: [SlowController] })
class SlowModule {}

@Module({ imports: [platform], controllers: [HeldController] })
class HeldModule {}

/** Runs `test` against a listening app of HeldController; lets every held request go after. */
async function withHeldApp(
  test: (url: string, controller: HeldController) => Promise<void>,
): Promise<void> {
  const app = await createHttpApp({ module: HeldModule }, oneAtATime);
  await app.listen(0, '127.0.0.1');
  const controller = app.get(HeldController);
  try {
    await test(await app.getUrl(), controller);
  } finally {
    controller.gates.splice(0).forEach((letGo) => letGo());
    await app.close();
  }
}

/** One request worked on at a time; the next waits 50 ms in line at most. */
const oneAtATime: AdmissionLimits = {
  HTTP_MAX_IN_FLIGHT: 1,
  HTTP_MAX_QUEUED: 10,
  HTTP_MAX_QUEUE_MS: 50,
  HTTP_OVERLOAD_IN_FLIGHT: 1,
  HTTP_OVERLOAD_QUEUE_MS: 50,
};

describe('createHttpApp admission', () => {
  it('works on HTTP_MAX_IN_FLIGHT requests at once, refuses the rest after their time in line, and logs each refusal', async () => {
    // Refusals end the request before the request log's middleware sees it.
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const app = await createHttpApp({ module: SlowModule }, oneAtATime);
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

  it("keeps a handler's slot while it works for a client that left, and gives back the slots of void and failing handlers", async () => {
    await withHeldApp(async (url, controller) => {
      const status = async (path: string) =>
        (await fetch(`${url}/${path}`, { signal: AbortSignal.timeout(5_000) })).status;
      // One at a time: a slot not given back would refuse the next.
      const statuses: number[] = [];
      for (const path of ['nothing', 'fails', 'nothing']) statuses.push(await status(path));
      expect(statuses).toEqual([204, 400, 204]);

      const giveUp = new AbortController();
      const left = fetch(`${url}/held`, { signal: giveUp.signal });
      await waitFor(() => controller.gates.length === 1, {
        timeoutMs: 5_000,
        description: 'the held request in its handler',
      });
      giveUp.abort();
      await expect(left).rejects.toThrow();
      await waitFor(() => controller.closedConnections === 1, {
        timeoutMs: 5_000,
        description: 'its connection closed',
      });
      // Its handler still works: the slot is still taken.
      expect(await status('nothing')).toBe(503);

      controller.gates.shift()?.();
      await waitFor(async () => (await status('nothing')) === 204, {
        timeoutMs: 5_000,
        description: 'the slot given back once the handler answered',
      });
    });
  });

  it('gives back the slot of an Observable handler whose client left: Nest unsubscribes it and sends nothing', async () => {
    await withHeldApp(async (url, controller) => {
      const giveUp = new AbortController();
      const left = fetch(`${url}/observed`, { signal: giveUp.signal });
      await waitFor(() => controller.observing === 1, {
        timeoutMs: 5_000,
        description: 'the Observable subscribed',
      });
      giveUp.abort();
      await expect(left).rejects.toThrow();
      await waitFor(
        async () =>
          (await fetch(`${url}/nothing`, { signal: AbortSignal.timeout(5_000) })).status === 204,
        { timeoutMs: 5_000, description: 'the slot given back once Nest unsubscribed' },
      );
      expect(controller.closedConnections).toBe(1);
    });
  });
});
