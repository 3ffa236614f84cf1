import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { PLACE_ORDER_BODY } from './commands/placed-orders';
import { scheduleOpenLoop, type OpenLoopSchedule } from './open-loop';

export interface OrderCommandSettings {
  /** Commands per second the schedule asks for. */
  rate: number;
  seconds: number;
  /** Each 2xx followed by a read of the order at its version on this query-service. */
  readBack?: { queryUrl: string; waitMs: number };
}

export interface OrderCommandsResult extends OpenLoopSchedule {
  scheduled: number;
  /** Commands answered 2xx. */
  placed: number;
  /** Seconds from the first command due to the last 2xx. */
  placingSeconds: number;
  /** Per command answered 2xx: from its due time to its answer. */
  commandMs: number[];
  /** Per GET answered 200: from the command's 2xx to the GET's 200. */
  readMs: number[];
  /** Answers other than 2xx (commands) and 200 (reads), and errors, by what they were. */
  failures: Map<string, number>;
}

/**
 * `POST /orders` on an open loop (scheduleOpenLoop), each timed from its due time. With
 * `readBack`, each 2xx is followed at once by `GET /orders/:id?minVersion=<its version>&waitMs=…`
 * on the query-service, timed from the command's answer to the read's 200 (read-your-writes).
 */
export async function driveOrderCommands(
  commandUrl: string,
  { rate, seconds, readBack }: OrderCommandSettings,
): Promise<OrderCommandsResult> {
  const placed = { placed: 0, placingSeconds: 0, commandMs: [] as number[] };
  const readMs: number[] = [];
  const failures = new Map<string, number>();
  const fail = (what: string): void => {
    failures.set(what, (failures.get(what) ?? 0) + 1);
  };
  const body = JSON.stringify(PLACE_ORDER_BODY);
  // Keep-alive sockets, as many as the open loop needs; node:http costs the driver less than fetch.
  const agent = new Agent({ keepAlive: true });
  const begin = performance.now();

  const writeThenRead = async (due: number): Promise<void> => {
    const command = await send(agent, 'POST', `${commandUrl}/orders`, body);
    const placedAt = performance.now();
    if (command.status < 200 || command.status > 299) return fail(`POST ${command.status}`);
    placed.placed++;
    placed.placingSeconds = Math.max(placed.placingSeconds, (placedAt - begin) / 1000);
    placed.commandMs.push(placedAt - due);
    if (!readBack) return;
    const { orderId, version } = JSON.parse(command.body) as { orderId: string; version: number };
    const path = `/orders/${orderId}?minVersion=${version}&waitMs=${readBack.waitMs}`;
    const read = await send(agent, 'GET', `${readBack.queryUrl}${path}`);
    if (read.status !== 200) return fail(`GET ${read.status}`);
    readMs.push(performance.now() - placedAt);
  };

  const schedule = await scheduleOpenLoop(rate, seconds, (due) =>
    writeThenRead(due).catch((error: Error) => fail(error.message)),
  );
  agent.destroy();
  return { scheduled: Math.round(rate * seconds), ...schedule, ...placed, readMs, failures };
}

function send(
  agent: Agent,
  method: 'GET' | 'POST',
  url: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // Named by method: a failed command and a failed read say different things.
    const fail = (error: Error) => reject(new Error(`${method} ${error.message}`));
    const headers = body === undefined ? {} : { 'content-type': 'application/json' };
    const outgoing = httpRequest(url, { method, agent, headers, timeout: 30_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', fail);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error('timed out after 30 s')));
    outgoing.on('error', fail);
    outgoing.end(body);
  });
}
