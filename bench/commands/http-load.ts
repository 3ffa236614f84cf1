import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../../test/infra/free-port';
import { waitFor } from '../../tools/local-infra/wait-for';
import { stopChild } from '../../tools/local-suite/suite-apps';
import { PLACE_ORDER_BODY } from './placed-orders';

export interface LoadSettings {
  connections: number;
  warmUpSeconds: number;
  seconds: number;
}

export interface LoadResult {
  /** 2xx answers per second of the measured run. */
  commandsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers, connection errors and timeouts, warm-up included: any is a failure. */
  failures: number;
}

/** `POST /orders` at a fixed concurrency: a warm-up run whose figures are dropped, then the run. */
export async function driveOrders(baseUrl: string, settings: LoadSettings): Promise<LoadResult> {
  const warmUp = await postOrders(baseUrl, settings.connections, settings.warmUpSeconds);
  const run = await postOrders(baseUrl, settings.connections, settings.seconds);
  return {
    commandsPerSecond: run['2xx'] / run.duration,
    p50Ms: run.latency.p50,
    p99Ms: run.latency.p99,
    failures: failuresOf(warmUp) + failuresOf(run),
  };
}

function postOrders(baseUrl: string, connections: number, seconds: number) {
  return autocannon({
    url: `${baseUrl}/orders`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(PLACE_ORDER_BODY),
    connections,
    duration: seconds,
  });
}

function failuresOf(result: autocannon.Result): number {
  // autocannon counts timeouts among errors as well.
  return result.non2xx + result.errors;
}

export interface BaselineServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts baseline-command-server.ts in a child process (through tsx) and waits until it answers. */
export async function startBaselineServer(
  databaseUrl: string,
  poolMax: number,
  output: (line: string) => void,
): Promise<BaselineServer> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'baseline-command-server.ts')],
    {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        DATABASE_POOL_MAX: String(poolMax),
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => chunk.split('\n').filter(Boolean).forEach(output));
  }
  const url = `http://127.0.0.1:${port}`;
  const server = { url, process: child, stop: () => stopChild(child) };
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
      return (await fetch(`${url}/health`)).ok;
    },
    { timeoutMs: 30_000, intervalMs: 200, description: 'the baseline server to answer' },
  );
  return server;
}
