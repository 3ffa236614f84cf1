import { connect } from 'node:net';
import {
  CommandServiceUnderTest,
  anOrder,
  anOrderTotal,
} from '../apps/command-service/test/command-service.harness';
import { ADMIN_TOKEN, ProjectorUnderTest } from '../apps/projector/test/projector.harness';
import { QueryServiceUnderTest } from '../apps/query-service/test/query-service.harness';
import { waitFor } from '../tools/local-infra/wait-for';
import {
  startApp,
  stopApp,
  waitUntilAppReady,
  type RunningApp,
} from '../tools/local-suite/suite-apps';
import { buildApps } from './infra/build';
import { freePort } from './infra/free-port';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

const WARN = 40;

/**
 * What an operator reads and a client meets at the edges of the built apps (real entry points,
 * real PostgreSQL and Kafka): request logs, refusals the HTTP layer makes before any handler,
 * HEAD, and idempotent replays.
 */
describe('operator and client edges', () => {
  const projector = new ProjectorUnderTest({ LOG_LEVEL: 'info' });
  const commands = new CommandServiceUnderTest({ ORDER_EVENTS_TOPIC: projector.topic });
  const query = new QueryServiceUnderTest();
  const commandOutput: string[] = [];
  const projectorOutput: string[] = [];
  const queryOutput: string[] = [];
  const debugOutput: string[] = [];
  let commandApp: RunningApp;
  let projectorApp: RunningApp;
  let queryApp: RunningApp;
  let debugQueryApp: RunningApp;

  const startQueryService = async (output: string[], logLevel: string) => {
    const running = startApp(
      {
        name: 'query-service',
        port: await freePort(),
        env: { DATABASE_URL: query.serviceUrl, LOG_LEVEL: logLevel },
      },
      (line) => output.push(line),
    );
    await waitUntilAppReady(running);
    return running;
  };

  beforeAll(async () => {
    await buildApps();
    await projector.setUp();
    await Promise.all([commands.setUp(), query.setUp()]);
    // A fresh start on a topic and a group nobody has used yet: what a new user sees first.
    [commandApp, projectorApp] = await Promise.all([
      commands.start(commandOutput, { LOG_LEVEL: 'info' }),
      projector.start(projectorOutput),
    ]);
    queryApp = await startQueryService(queryOutput, 'info');
    debugQueryApp = await startQueryService(debugOutput, 'debug');
    await query.putOrder({ orderId: 'edge-1', version: 2, status: 'PAID' });
  });

  afterAll(async () => {
    for (const running of [queryApp, debugQueryApp]) if (running) await stopApp(running, 5_000);
    await query.tearDown();
    await commands.tearDown();
    await projector.tearDown();
  });

  /** The one log line of the request with this correlation id (waits for it). */
  async function requestLine(output: string[], correlationId: string): Promise<LogLine> {
    const lines = await waitFor(
      () => {
        const found = output.filter((line) => line.includes(`"${correlationId}"`));
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 10_000, description: `the log line of ${correlationId}` },
    );
    expect(lines).toHaveLength(1);
    return JSON.parse(lines[0]) as LogLine;
  }

  describe('request logs', () => {
    it('are one short line: method, route, status, time and correlation id, no headers', async () => {
      const response = await fetch(`${queryApp.url}/orders/edge-1`, {
        headers: {
          'x-correlation-id': 'log-short-1',
          authorization: 'Bearer short-line-secret',
          'user-agent': 'edge-test-agent',
        },
      });
      expect(response.status).toBe(200);

      const line = await requestLine(queryOutput, 'log-short-1');
      expect(line).toEqual(
        expect.objectContaining({
          level: 30,
          reqId: 'log-short-1',
          method: 'GET',
          route: '/orders/:id',
          url: '/orders/edge-1',
          status: 200,
          responseTime: expect.any(Number),
        }),
      );
      expect(line).not.toHaveProperty('req');
      expect(line).not.toHaveProperty('res');
      const raw = queryOutput.find((text) => text.includes('"log-short-1"'))!;
      expect(raw).not.toContain('edge-test-agent');
      expect(raw.length).toBeLessThan(300);
    });

    it('log a documented 503 VIEW_BEHIND as a warning, and a 404 as information, without a stack', async () => {
      const behind = await fetch(`${queryApp.url}/orders/edge-1?minVersion=5&waitMs=0`, {
        headers: { 'x-correlation-id': 'log-behind-1' },
      });
      expect(behind.status).toBe(503);
      const unknown = await fetch(`${queryApp.url}/orders/edge-unknown`, {
        headers: { 'x-correlation-id': 'log-unknown-1' },
      });
      expect(unknown.status).toBe(404);

      const behindLine = await requestLine(queryOutput, 'log-behind-1');
      expect(behindLine).toMatchObject({ level: WARN, status: 503, msg: 'request completed' });
      expect(behindLine).not.toHaveProperty('err');
      const unknownLine = await requestLine(queryOutput, 'log-unknown-1');
      expect(unknownLine).toMatchObject({ level: 30, status: 404, msg: 'request completed' });
      expect(unknownLine).not.toHaveProperty('err');
      expect(queryOutput.join('\n')).not.toContain('"stack"');
    });

    it('carry the headers at debug level, credentials redacted', async () => {
      const secrets = ['debug-bearer-secret', 'debug-cookie-secret', 'debug-api-key-secret'];
      const response = await fetch(`${debugQueryApp.url}/orders/edge-1`, {
        headers: {
          'x-correlation-id': 'log-debug-1',
          authorization: `Bearer ${secrets[0]}`,
          cookie: `session=${secrets[1]}`,
          'x-api-key': secrets[2],
          'user-agent': 'edge-test-agent',
        },
      });
      expect(response.status).toBe(200);

      const line = await requestLine(debugOutput, 'log-debug-1');
      expect(line).toMatchObject({ level: 30, status: 200, route: '/orders/:id' });
      expect((line.req as { headers: Record<string, string> }).headers).toMatchObject({
        authorization: '[Redacted]',
        cookie: '[Redacted]',
        'x-api-key': '[Redacted]',
        'user-agent': 'edge-test-agent',
      });
      const everything = debugOutput.join('\n');
      for (const secret of secrets) expect(everything).not.toContain(secret);
    });

    it('a fresh start and ordinary traffic log nothing at warning level or above', async () => {
      // An order through the whole pipeline: relay, topic, projector, view.
      const placed = await fetch(`${commandApp.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(anOrder),
      });
      expect(placed.status).toBe(201);
      const { orderId } = (await placed.json()) as { orderId: string };
      await waitFor(
        async () =>
          (await projector.db.query('SELECT 1 FROM order_view WHERE order_id = $1', [orderId]))
            .rowCount === 1,
        { timeoutMs: 60_000, description: 'the order in the view' },
      );
      const loud = [...commandOutput, ...projectorOutput].filter((line) =>
        /"level":(40|50|60)/.test(line),
      );
      expect(loud).toEqual([]);
    });
  });

  describe('refusals before any handler', () => {
    it('answers over-long headers with 431 HEADERS_TOO_LARGE in the error shape', async () => {
      const response = await rawRequest(
        commandApp,
        `POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `X-Padding: ${'a'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\n{}`,
      );
      expect(response.status).toBe(431);
      expect(response.contentType).toMatch(/^application\/json/);
      expect(JSON.parse(response.body)).toEqual({
        statusCode: 431,
        error: 'HEADERS_TOO_LARGE',
        message: expect.any(String),
      });
    });

    it('answers an over-long URL with 431 HEADERS_TOO_LARGE too', async () => {
      const response = await rawRequest(
        queryApp,
        `GET /orders/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      );
      expect(response.status).toBe(431);
      expect(JSON.parse(response.body)).toMatchObject({ error: 'HEADERS_TOO_LARGE' });
    });

    it('answers a request line it cannot parse with 400 MALFORMED_REQUEST', async () => {
      const response = await rawRequest(queryApp, `GET /orders\x01 HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({
        statusCode: 400,
        error: 'MALFORMED_REQUEST',
      });
    });

    it('refuses invalid UTF-8 in a JSON body with 400 MALFORMED_JSON', async () => {
      const text = JSON.stringify(anOrder).replace('customer-1', 'customer-\u0001');
      const bytes = Buffer.from(text, 'utf8');
      // \u0001 → 0xff: a byte that is never valid UTF-8.
      bytes[bytes.indexOf(0x01)] = 0xff;
      const response = await fetch(`${commandApp.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bytes,
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        statusCode: 400,
        error: 'MALFORMED_JSON',
        message: expect.stringContaining('UTF-8'),
      });
      expect(await commands.storedEvents()).toHaveLength(1);
    });
  });

  describe('HEAD', () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const apps = () => ({
      'query-service': queryApp,
      'command-service': commandApp,
      projector: projectorApp,
    });
    it.each<[keyof ReturnType<typeof apps>, string, number, Record<string, string>]>([
      // Four per row: jest gives a function with more parameters than its row a `done` callback.
      ['query-service', '/orders/edge-1', 200, {}],
      ['query-service', '/orders/edge-1', 304, { 'if-none-match': '"2"' }],
      ['query-service', '/orders/edge-unknown', 404, {}],
      ['query-service', '/orders/edge-1?minVersion=5&waitMs=0', 503, {}],
      ['query-service', '/orders?limit=1', 200, {}],
      ['query-service', '/orders?limit=abc', 400, {}],
      ['query-service', '/orders/edge-1/history', 200, {}],
      ['query-service', '/orders/edge-unknown/history', 404, {}],
      ['query-service', '/health/live', 200, {}],
      ['query-service', '/health/ready', 200, {}],
      ['query-service', '/metrics', 200, {}],
      ['command-service', '/health/ready', 200, {}],
      ['command-service', '/metrics', 200, {}],
      ['command-service', '/docs-json', 200, {}],
      ['command-service', '/docs', 200, {}],
      ['command-service', '/orders', 404, {}],
      ['projector', '/admin/projections/order-view', 200, admin],
      ['projector', '/admin/parked', 200, admin],
      ['projector', '/admin/parked', 401, {}],
      ['projector', '/health/ready', 200, {}],
    ])('%s HEAD %s answers %s as GET does, without a body', async (app, path, status, headers) => {
      const url = `${apps()[app].url}${path}`;
      const got = await fetch(url, { headers });
      const head = await fetch(url, { method: 'HEAD', headers });
      expect({ status: head.status, body: await head.text() }).toEqual({ status, body: '' });
      expect(got.status).toBe(status);
      for (const header of ['content-type', 'etag']) {
        expect(head.headers.get(header)).toBe(got.headers.get(header));
      }
    });
  });

  describe('idempotent replays', () => {
    const post = async (path: string, body: unknown, key: string) => {
      const response = await fetch(`${commandApp.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      });
      return { status: response.status, text: await response.text() };
    };

    it('answer byte for byte what the first response said', async () => {
      const key = `edge-place-${Date.now()}`;
      const first = await post('/orders', anOrder, key);
      const replay = await post('/orders', anOrder, key);
      expect(first.status).toBe(201);
      expect(replay).toEqual(first);

      const { orderId } = JSON.parse(first.text) as { orderId: string };
      const payKey = `edge-pay-${Date.now()}`;
      const pay = { amount: anOrderTotal, paymentReference: 'edge-pay' };
      const paid = await post(`/orders/${orderId}/pay`, pay, payKey);
      const paidAgain = await post(`/orders/${orderId}/pay`, pay, payKey);
      expect(paid.status).toBe(200);
      expect(paidAgain).toEqual(paid);
    });
  });
});

/**
 * Sends `request` as it is (what fetch would refuse to send or reshape) and reads the answer
 * until the server closes the connection.
 */
function rawRequest(
  app: RunningApp,
  request: string,
): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(app.app.port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    const done = () => {
      const [head = '', body = ''] = received.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      if (!status) {
        reject(new Error(`no HTTP answer: ${JSON.stringify(received.slice(0, 200))}`));
        return;
      }
      const contentType = /^content-type: (.*)$/im.exec(head)?.[1]?.trim();
      resolve({ status, contentType, body });
    };
    // The server may reset the connection while we still write: what it answered counts.
    socket.on('error', () => undefined);
    socket.on('close', done);
    socket.write(request);
  });
}
