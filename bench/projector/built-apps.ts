import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { freePort } from '../../test/infra/free-port';
import {
  stopApp,
  waitUntilAppReady,
  type RunningApp,
  type SuiteApp,
} from '../../tools/local-suite/suite-apps';
import { repoRoot } from '../../tools/repo-root';
import type { Teardown } from '../commands/bench-infra';

/**
 * The build the apps run from: BENCH_DIST_DIR (relative to the repository, or absolute), else
 * dist/ as `npm run build` leaves it. A build elsewhere lets a bench run beside someone else's
 * `npm run build` or tests without either replacing the other's files.
 */
export const DIST_DIR = resolve(repoRoot(), process.env.BENCH_DIST_DIR ?? 'dist');

/**
 * Starts a built app on a free port and waits until it is ready; stopped by `teardown` if
 * still running then. Every line it prints goes to `log` (LOG_LEVEL=warn keeps that short).
 */
export async function startBenchApp(
  name: SuiteApp['name'],
  env: Record<string, string>,
  teardown: Teardown,
  log: string[],
): Promise<RunningApp> {
  const app = startBuiltApp(
    { name, port: await freePort(), env: { LOG_LEVEL: 'warn', ...env } },
    (line) => log.push(line),
  );
  teardown.add(name, () => stopApp(app, 10_000));
  await waitUntilAppReady(app).catch((error: Error) => {
    throw new Error(`${error.message}\n${log.slice(-20).join('\n')}`);
  });
  return app;
}

/**
 * A built app as a child process, like tools/local-suite's startApp but from DIST_DIR, so
 * stopApp and waitUntilAppReady apply to it.
 */
function startBuiltApp(app: SuiteApp, output: (line: string) => void): RunningApp {
  const main = join(DIST_DIR, 'apps', app.name, 'src/main.js');
  const child = spawnNode(
    [...cpuProfileArgs(), main],
    { ...app.env, PORT: String(app.port), HOST: '127.0.0.1' },
    output,
  );
  return { app, process: child, url: `http://127.0.0.1:${app.port}` };
}

/**
 * BENCH_CPU_PROF_DIR: the apps write a V8 CPU profile there when they exit (open it in Chrome's
 * DevTools or speedscope), to see where a bench's time goes.
 */
function cpuProfileArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(dir)}`] : [];
}

/** `node args…` with `env` added to ours; each line it prints goes to `output`. */
export function spawnNode(
  args: string[],
  env: Record<string, string>,
  output: (line: string) => void,
): ChildProcess {
  const child = spawn(process.execPath, args, {
    // A build outside the repository finds no node_modules above it: point it at ours.
    env: { ...process.env, NODE_PATH: join(repoRoot(), 'node_modules'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => chunk.split('\n').filter(Boolean).forEach(output));
  }
  return child;
}
