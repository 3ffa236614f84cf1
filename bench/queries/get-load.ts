import { join } from 'node:path';
import autocannon from 'autocannon';
import { waitFor } from '../../tools/local-infra/wait-for';
import { stopChild } from '../../tools/local-suite/suite-apps';
import { freePort } from '../../test/infra/free-port';
import { spawnNode } from '../projector/built-apps';

export interface GetLoadSettings {
  connections: number;
  warmUpSeconds: number;
  seconds: number;
}

export interface GetLoadResult {
  /** 200 answers per second of the measured run. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers, connection errors and timeouts, warm-up included: any is a failure. */
  failures: number;
}

/**
 * `GET /orders/:id` over ids picked at random from `orderIds` (all in the view), at a fixed
 * concurrency: a warm-up run whose figures are dropped, then the run.
 */
export async function driveGets(
  baseUrl: string,
  orderIds: readonly string[],
  settings: GetLoadSettings,
): Promise<GetLoadResult> {
  const warmUp = await getOrders(baseUrl, orderIds, settings.connections, settings.warmUpSeconds);
  const run = await getOrders(baseUrl, orderIds, settings.connections, settings.seconds);
  return {
    requestsPerSecond: run['2xx'] / run.duration,
    p50Ms: run.latency.p50,
    p99Ms: run.latency.p99,
    // autocannon counts timeouts among errors as well.
    failures: warmUp.non2xx + warmUp.errors + run.non2xx + run.errors,
  };
}

function getOrders(
  baseUrl: string,
  orderIds: readonly string[],
  connections: number,
  seconds: number,
) {
  return autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({
          ...request,
          path: `/orders/${orderIds[Math.floor(Math.random() * orderIds.length)]}`,
        }),
      },
    ],
  });
}

export interface BaselineQueryServer {
  url: string;
  stop(): Promise<void>;
}

/** Starts baseline-query-server.ts in a child process (through tsx) and waits until it answers. */
export async function startBaselineQueryServer(
  databaseUrl: string,
  poolMax: number,
  output: (line: string) => void,
): Promise<BaselineQueryServer> {
  const port = await freePort();
  const child = spawnNode(
    ['--import', 'tsx', join(__dirname, 'baseline-query-server.ts')],
    { DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: String(poolMax), PORT: String(port) },
    output,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
      return (await fetch(`${url}/health`)).ok;
    },
    { timeoutMs: 30_000, intervalMs: 200, description: 'the baseline query server to answer' },
  );
  return { url, stop: () => stopChild(child) };
}
