import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { PLACE_ORDER_BODY } from '../commands/placed-orders';

export interface OpenLoopSettings {
  /** Commands per second the schedule asks for. */
  rate: number;
  seconds: number;
  /** The GET's waitMs. */
  waitMs: number;
}

export interface ReadYourWritesResult {
  scheduled: number;
  sent: number;
  /** Seconds from the first command sent to the last. */
  sendingSeconds: number;
  /** The most a command went out after its scheduled time. */
  maxLagMs: number;
  /** Commands answered 2xx. */
  placed: number;
  /** Seconds from the first command sent to the last 2xx. */
  placingSeconds: number;
  /** Per command answered 2xx: from its send to its answer. */
  commandMs: number[];
  /** Per GET answered 200: from the command's 2xx to the GET's 200. */
  readMs: number[];
  /** Answers other than 2xx (commands) and 200 (reads), and errors, by what they were. */
  failures: Map<string, number>;
}

/**
 * Open loop: `POST /orders` on a fixed schedule (`rate` per second for `seconds`) whether or
 * not earlier commands were answered; a command that falls behind its time goes out as soon
 * as the driver gets to it. Each 2xx is followed at once by `GET /orders/:id?minVersion=<its
 * version>&waitMs=…` on the query-service, timed from the command's answer to the read's 200;
 * without `queryUrl`, commands only.
 */
export async function driveReadYourWrites(
  commandUrl: string,
  queryUrl: string | undefined,
  { rate, seconds, waitMs }: OpenLoopSettings,
): Promise<ReadYourWritesResult> {
  const scheduled = Math.round(rate * seconds);
  const result: ReadYourWritesResult = {
    scheduled,
    sent: 0,
    sendingSeconds: 0,
    maxLagMs: 0,
    placed: 0,
    placingSeconds: 0,
    commandMs: [],
    readMs: [],
    failures: new Map(),
  };
  const fail = (what: string): void => {
    result.failures.set(what, (result.failures.get(what) ?? 0) + 1);
  };
  const body = JSON.stringify(PLACE_ORDER_BODY);
  // Keep-alive sockets, as many as the open loop needs; node:http costs the driver less than fetch.
  const agent = new Agent({ keepAlive: true });
  const start = performance.now();

  const writeThenRead = async (): Promise<void> => {
    const sentAt = performance.now();
    const placed = await send(agent, 'POST', `${commandUrl}/orders`, body);
    const placedAt = performance.now();
    if (placed.status < 200 || placed.status > 299) return fail(`POST ${placed.status}`);
    result.placed++;
    result.placingSeconds = Math.max(result.placingSeconds, (placedAt - start) / 1000);
    result.commandMs.push(placedAt - sentAt);
    if (queryUrl === undefined) return;
    const { orderId, version } = JSON.parse(placed.body) as { orderId: string; version: number };
    const path = `/orders/${orderId}?minVersion=${version}&waitMs=${waitMs}`;
    const read = await send(agent, 'GET', `${queryUrl}${path}`);
    if (read.status !== 200) return fail(`GET ${read.status}`);
    result.readMs.push(performance.now() - placedAt);
  };

  const pending: Promise<void>[] = [];
  for (let index = 0; index < scheduled; index++) {
    const due = start + (index * 1000) / rate;
    const early = due - performance.now();
    if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
    result.maxLagMs = Math.max(result.maxLagMs, performance.now() - due);
    result.sent++;
    result.sendingSeconds = (performance.now() - start) / 1000;
    pending.push(writeThenRead().catch((error: Error) => fail(error.message)));
  }
  await Promise.all(pending);
  agent.destroy();
  return result;
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

/** The value below which `p` percent of `values` lie (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
