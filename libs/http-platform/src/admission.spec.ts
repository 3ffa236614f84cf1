import { connect, type Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { waitFor } from '../../../tools/local-infra/wait-for';
import { admitWithin, type AdmissionLimits, type AdmissionState } from './admission';

/**
 * A Fastify server on the loopback interface with one route that holds each request until the
 * test lets it go, so that the test decides how many are in flight.
 */
class HeldServer {
  readonly served: string[] = [];
  /** The held requests whose connection has closed, answered or not. */
  readonly closed: string[] = [];
  /** Why each refused request was refused. */
  readonly refusals: string[] = [];
  private readonly releases: (() => void)[] = [];
  private readonly fastify: FastifyInstance = Fastify();
  state!: AdmissionState;
  url = '';

  async start(limits: AdmissionLimits, clock?: () => number): Promise<void> {
    this.state = admitWithin(
      this.fastify,
      limits,
      (_, reason) => this.refusals.push(reason),
      clock,
    );
    this.fastify.get('/held/:name', async (request, reply) => {
      const name = await this.holdUntilReleased(request, reply);
      this.served.push(name);
      return { name };
    });
    // Held before its handler (in a hook of its own), then handled at once.
    this.fastify.get(
      '/held-before/:name',
      {
        preValidation: async (request, reply) => {
          await this.holdUntilReleased(request, reply);
        },
      },
      (request) => {
        const { name } = request.params as { name: string };
        this.served.push(name);
        return Promise.resolve({ name });
      },
    );
    // Held in its handler, then handed to the not-found handler, which runs the hooks again.
    this.fastify.get('/found-later/:name', async (request, reply) => {
      await this.holdUntilReleased(request, reply);
      reply.callNotFound();
      return reply;
    });
    // Held in its handler, then returns nothing: Fastify sends nothing to a client that has gone.
    this.fastify.get('/quiet/:name', async (request, reply) => {
      await this.holdUntilReleased(request, reply);
    });
    // Held, then settles with nothing through a thenable of its own, not a native promise.
    this.fastify.get('/thenable/:name', (request, reply) => {
      this.recordClose(request, reply);
      return { then: (settle: () => void) => this.releases.push(settle) };
    });
    // Taken over and answered on the raw response, synchronously: no onSend.
    this.fastify.get('/hijacked', (_request, reply) => {
      reply.hijack();
      reply.raw.end('raw');
    });
    this.fastify.post('/echo', (request) => Promise.resolve(request.body));
    this.fastify.get('/health/live', () => Promise.resolve({ status: 'up' }));
    this.url = await this.fastify.listen({ host: '127.0.0.1', port: 0 });
  }

  /** Notes the request (by its :name) in `closed` once its connection closes. */
  private recordClose(request: FastifyRequest, reply: FastifyReply): string {
    const { name } = request.params as { name: string };
    reply.raw.once('close', () => this.closed.push(name));
    return name;
  }

  /** Holds the request until the test lets it go (releaseOne); resolves to its :name. */
  private async holdUntilReleased(request: FastifyRequest, reply: FastifyReply): Promise<string> {
    const name = this.recordClose(request, reply);
    await new Promise<void>((resolve) => this.releases.push(resolve));
    return name;
  }

  /** A connection to the server for what fetch cannot send: half a body, pipelined requests. */
  async rawConnection(): Promise<Socket> {
    const socket = connect(Number(new URL(this.url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    return socket;
  }

  /** Lets the oldest held request finish. */
  releaseOne(): void {
    this.releases.shift()?.();
  }

  async stop(): Promise<void> {
    this.releases.splice(0).forEach((release) => release());
    await this.fastify.close();
  }

  async waiting(count: number): Promise<void> {
    await waitFor(() => this.state.waiting() === count, {
      timeoutMs: 5_000,
      description: `${count} requests waiting in line`,
    });
  }

  /** Nothing worked on, nobody in line: every slot given back exactly once. */
  async idle(): Promise<void> {
    await waitFor(() => this.state.inFlight() === 0 && this.state.waiting() === 0, {
      timeoutMs: 5_000,
      description: 'every slot given back',
    });
  }

  async inFlight(count: number): Promise<void> {
    await waitFor(() => this.state.inFlight() === count, {
      timeoutMs: 5_000,
      description: `${count} requests in flight`,
    });
  }

  async closedConnection(name: string): Promise<void> {
    await waitFor(() => this.closed.includes(name), {
      timeoutMs: 5_000,
      description: `the connection of ${name} closed`,
    });
  }

  async held(count: number): Promise<void> {
    await waitFor(() => this.releases.length === count, {
      timeoutMs: 5_000,
      description: `${count} requests held`,
    });
  }
}

/**
 * A request that must be answered at once: a fetch given up after 5 s (jest's own timeout is
 * longer), so that a refusal which waited out a 60 s limit fails the test.
 */
const answeredAtOnce = (url: string) => fetch(url, { signal: AbortSignal.timeout(5_000) });

const limits = (
  inFlight: number,
  queued: number,
  queueMs: number,
  overload: { inFlight?: number; queueMs?: number } = {},
): AdmissionLimits => ({
  HTTP_MAX_IN_FLIGHT: inFlight,
  HTTP_MAX_QUEUED: queued,
  HTTP_MAX_QUEUE_MS: queueMs,
  HTTP_OVERLOAD_IN_FLIGHT: overload.inFlight ?? inFlight,
  HTTP_OVERLOAD_QUEUE_MS: overload.queueMs ?? queueMs,
});

describe('admission: bounded work, a bounded line with a time limit', () => {
  let server: HeldServer;
  beforeEach(() => (server = new HeldServer()));
  afterEach(() => server.stop());

  it('serves a request beyond the in-flight bound once a slot frees, oldest first', async () => {
    await server.start(limits(1, 10, 60_000));
    const first = fetch(`${server.url}/held/first`);
    await server.held(1);
    const second = fetch(`${server.url}/held/second`);
    await server.waiting(1);
    const third = fetch(`${server.url}/held/third`);
    await server.waiting(2);

    server.releaseOne();
    await server.held(1);
    server.releaseOne();
    await server.held(1);
    server.releaseOne();

    const statuses = await Promise.all([first, second, third].map(async (r) => (await r).status));
    expect(statuses).toEqual([200, 200, 200]);
    expect(server.served).toEqual(['first', 'second', 'third']);
    expect(server.state.inFlight()).toBe(0);
  });

  it('refuses 503 OVERLOADED with Retry-After a request that waited its time limit', async () => {
    await server.start(limits(1, 10, 50));
    const first = fetch(`${server.url}/held/first`);
    await server.held(1);

    const refused = await fetch(`${server.url}/held/second`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ statusCode: 503, error: 'OVERLOADED' });
    expect(server.state.waiting()).toBe(0);
    expect(server.state.inFlight()).toBe(1);

    server.releaseOne();
    expect((await first).status).toBe(200);
    expect(server.served).toEqual(['first']);
    await server.idle();
  });

  it('refuses at once when the line is full, without waiting out its time limit', async () => {
    await server.start(limits(1, 1, 60_000));
    const first = fetch(`${server.url}/held/first`);
    await server.held(1);
    const second = fetch(`${server.url}/held/second`);
    await server.waiting(1);

    const refused = await answeredAtOnce(`${server.url}/held/third`);
    expect(refused.status).toBe(503);

    server.releaseOne();
    await server.held(1);
    server.releaseOne();
    expect([(await first).status, (await second).status]).toEqual([200, 200]);
    await server.idle();
  });

  it('gives newcomers only the short wait once the line has stood for HTTP_MAX_QUEUE_MS, until it has been empty that long', async () => {
    // The line's age is read from this clock; the waits themselves are real timers. A newcomer
    // given the 60 s wait fails the test (answeredAtOnce).
    let now = 0;
    await server.start(limits(1, 10, 60_000, { queueMs: 0 }), () => now);
    const first = fetch(`${server.url}/held/first`);
    await server.held(1);
    const early = fetch(`${server.url}/held/early`);
    await server.waiting(1);

    now = 60_000;
    const late = await answeredAtOnce(`${server.url}/held/late`);
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('1');
    // The one that came while the line was young keeps its place and its long wait.
    expect(server.state.waiting()).toBe(1);

    server.releaseOne();
    await server.held(1);
    server.releaseOne();
    expect([(await first).status, (await early).status]).toEqual([200, 200]);
    await server.idle();

    // A line empty for a moment is not the end of the overload: the next newcomer still gets
    // the short wait.
    now = 60_001;
    const again = fetch(`${server.url}/held/again`);
    await server.held(1);
    expect((await answeredAtOnce(`${server.url}/held/still-late`)).status).toBe(503);
    server.releaseOne();
    expect((await again).status).toBe(200);
    await server.idle();

    // Once the line has been empty as long as a burst may wait, a burst may wait that long again.
    now = 200_000;
    const second = fetch(`${server.url}/held/second`);
    await server.held(1);
    const burst = fetch(`${server.url}/held/burst`);
    await server.waiting(1);
    now = 200_000 + 59_999;
    const alsoBurst = fetch(`${server.url}/held/also-burst`);
    await server.waiting(2);
    for (let held = 0; held < 3; held++) {
      await server.held(1);
      server.releaseOne();
    }
    const statuses = await Promise.all(
      [second, burst, alsoBurst].map(async (r) => (await r).status),
    );
    expect(statuses).toEqual([200, 200, 200]);
    expect(server.served).toEqual(['first', 'early', 'again', 'second', 'burst', 'also-burst']);
    await server.idle();
  });

  it('works on only HTTP_OVERLOAD_IN_FLIGHT at once while overloaded, handing no slot on until fewer are in flight', async () => {
    let now = 0;
    await server.start(limits(2, 10, 60_000, { inFlight: 1 }), () => now);
    const first = fetch(`${server.url}/held/first`);
    const second = fetch(`${server.url}/held/second`);
    await server.held(2);
    const third = fetch(`${server.url}/held/third`);
    await server.waiting(1);

    now = 60_000;
    const fourth = fetch(`${server.url}/held/fourth`);
    await server.waiting(2);
    // Two in flight against an overload bound of one: the freed slot is given back, not on.
    server.releaseOne();
    await server.inFlight(1);
    expect(server.state.waiting()).toBe(2);

    for (let held = 0; held < 2; held++) {
      server.releaseOne();
      await server.held(1);
    }
    server.releaseOne();
    const statuses = await Promise.all(
      [first, second, third, fourth].map(async (r) => (await r).status),
    );
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(server.served).toEqual(['first', 'second', 'third', 'fourth']);
    await server.idle();
  });

  it('never raises the bound while overloaded: an HTTP_OVERLOAD_IN_FLIGHT above HTTP_MAX_IN_FLIGHT lets nobody ahead of the line', async () => {
    let now = 0;
    await server.start(limits(1, 10, 60_000, { inFlight: 5 }), () => now);
    const first = fetch(`${server.url}/held/first`);
    await server.held(1);
    const second = fetch(`${server.url}/held/second`);
    await server.waiting(1);

    now = 60_000;
    const third = fetch(`${server.url}/held/third`);
    await server.waiting(2);
    expect(server.state.inFlight()).toBe(1);

    for (let held = 0; held < 2; held++) {
      server.releaseOne();
      await server.held(1);
    }
    server.releaseOne();
    const statuses = await Promise.all([first, second, third].map(async (r) => (await r).status));
    expect(statuses).toEqual([200, 200, 200]);
    expect(server.served).toEqual(['first', 'second', 'third']);
    await server.idle();
  });

  it('never makes a newcomer wait longer while overloaded: an HTTP_OVERLOAD_QUEUE_MS above HTTP_MAX_QUEUE_MS is held to it', async () => {
    let now = 0;
    await server.start(limits(1, 10, 1_000, { queueMs: 60_000 }), () => now);
    const first = fetch(`${server.url}/held/first`);
    await server.held(1);
    const early = fetch(`${server.url}/held/early`);
    await server.waiting(1);

    now = 1_000;
    const late = await answeredAtOnce(`${server.url}/held/late`);
    expect(late.status).toBe(503);
    expect((await early).status).toBe(503);

    server.releaseOne();
    expect((await first).status).toBe(200);
    expect(server.served).toEqual(['first']);
    await server.idle();
  });

  it('drops from the line a client that gave up, so it neither holds a place nor gets a slot', async () => {
    await server.start(limits(1, 1, 60_000));
    const first = fetch(`${server.url}/held/first`);
    await server.held(1);
    const giveUp = new AbortController();
    const abandoned = fetch(`${server.url}/held/abandoned`, { signal: giveUp.signal });
    await server.waiting(1);
    giveUp.abort();
    await expect(abandoned).rejects.toThrow();
    await server.waiting(0);

    const next = fetch(`${server.url}/held/next`);
    await server.waiting(1);
    server.releaseOne();
    await server.held(1);
    server.releaseOne();
    expect([(await first).status, (await next).status]).toEqual([200, 200]);
    expect(server.served).toEqual(['first', 'next']);
    await server.idle();
  });

  it('keeps the slot of a request whose client left while it is worked on, until its handler answers', async () => {
    await server.start(limits(1, 10, 60_000));
    // The work a request started goes on when its client leaves: freeing its slot then would let
    // clients that leave at once start any amount of work.
    const giveUp = new AbortController();
    const left = fetch(`${server.url}/held/left`, { signal: giveUp.signal });
    await server.held(1);
    giveUp.abort();
    await expect(left).rejects.toThrow();
    await server.closedConnection('left');
    expect(server.state.inFlight()).toBe(1);

    const next = fetch(`${server.url}/held/next`);
    await server.waiting(1);
    server.releaseOne();
    await server.held(1);
    server.releaseOne();
    expect((await next).status).toBe(200);
    expect(server.served).toEqual(['left', 'next']);
    await server.idle();
  });

  it('does not handle a request whose client left before its handler ran', async () => {
    await server.start(limits(1, 10, 60_000));
    const giveUp = new AbortController();
    const left = fetch(`${server.url}/held-before/left`, { signal: giveUp.signal });
    await server.held(1);
    giveUp.abort();
    await expect(left).rejects.toThrow();
    await server.closedConnection('left');
    server.releaseOne();
    await waitFor(() => server.refusals.includes('the client has gone'), {
      timeoutMs: 5_000,
      description: 'the request refused',
    });
    expect(server.served).toEqual([]);
    await server.idle();
  });

  it.each([
    ['hands it to the not-found handler', 'found-later'],
    ['returns nothing, so that nothing is sent', 'quiet'],
    ['settles a thenable of its own with nothing', 'thenable'],
  ])('gives the slot back once the handler of a client that left %s', async (_, route) => {
    await server.start(limits(1, 10, 60_000));
    const giveUp = new AbortController();
    const left = fetch(`${server.url}/${route}/left`, { signal: giveUp.signal });
    await server.held(1);
    giveUp.abort();
    await expect(left).rejects.toThrow();
    await server.closedConnection('left');
    expect(server.state.inFlight()).toBe(1);
    server.releaseOne();
    await server.idle();
  });

  it('gives the slot back after a handler that took the response over and answered it raw', async () => {
    await server.start(limits(1, 0, 0));
    expect(await (await answeredAtOnce(`${server.url}/hijacked`)).text()).toBe('raw');
    await server.idle();
  });

  it('gives the slot back when a client leaves while its body is still arriving', async () => {
    await server.start(limits(1, 10, 60_000));
    const socket = await server.rawConnection();
    socket.write(
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"half":',
    );
    await server.inFlight(1);
    socket.destroy();
    await server.idle();
    expect((await answeredAtOnce(`${server.url}/health/live`)).status).toBe(200);
  });

  it('gives the slot back after answering a route it does not know and a body it cannot parse', async () => {
    await server.start(limits(1, 0, 0));
    expect((await answeredAtOnce(`${server.url}/nowhere`)).status).toBe(404);
    await server.idle();
    const echo = (body: string) =>
      fetch(`${server.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(5_000),
      });
    expect((await echo('{"half":')).status).toBe(400);
    await server.idle();
    expect(await (await echo('{"whole":true}')).json()).toEqual({ whole: true });
    await server.idle();
  });

  it('gives every slot back when a connection with requests in line closes', async () => {
    await server.start(limits(1, 10, 60_000));
    // Pipelined on one connection: the first is worked on, the other two wait in line when the
    // client closes it. Their slots must not be lost, or the process refuses everything after;
    // the first's is given back once its handler answers.
    const socket = await server.rawConnection();
    socket.write(
      ['a', 'b', 'c'].map((name) => `GET /held/${name} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''),
    );
    await server.held(1);
    await server.waiting(2);
    socket.destroy();
    await server.waiting(0);
    await server.closedConnection('a');
    expect(server.state.inFlight()).toBe(1);
    server.releaseOne();
    await server.idle();

    const after = fetch(`${server.url}/held/after`);
    await server.held(1);
    server.releaseOne();
    expect((await after).status).toBe(200);
    await server.idle();
  });

  it('always answers probes, even with every slot taken and no line', async () => {
    await server.start(limits(1, 0, 0));
    const first = fetch(`${server.url}/held/first`);
    await server.held(1);
    expect((await fetch(`${server.url}/held/second`)).status).toBe(503);
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
    server.releaseOne();
    expect((await first).status).toBe(200);
    await server.idle();
  });
});
