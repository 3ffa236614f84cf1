import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../repo-root';
import { waitFor } from '../local-infra/wait-for';

export interface SuiteApp {
  name: 'command-service' | 'query-service' | 'projector';
  port: number;
  env: Record<string, string>;
}

export interface RunningApp {
  app: SuiteApp;
  process: ChildProcess;
  url: string;
}

/** Starts a built app (`npm run build` first); each output line goes to `output`. */
export function startApp(
  app: SuiteApp,
  output: (line: string) => void = (line) => process.stdout.write(`[${app.name}] ${line}\n`),
): RunningApp {
  const child = spawn(process.execPath, [join(repoRoot(), 'dist/apps', app.name, 'src/main.js')], {
    env: { ...process.env, ...app.env, PORT: String(app.port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line) output(line);
    });
  }
  return { app, process: child, url: `http://127.0.0.1:${app.port}` };
}

export async function waitUntilAppReady(running: RunningApp, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      if (running.process.exitCode !== null) {
        throw new Error(`${running.app.name} exited with code ${running.process.exitCode}`);
      }
      const response = await fetch(`${running.url}/health/ready`);
      return response.ok;
    },
    { timeoutMs, intervalMs: 300, description: `${running.app.name} to be ready` },
  );
}

/** SIGTERM (graceful: in-flight requests finish, pools close), SIGKILL after `graceMs`. */
export function stopApp(running: RunningApp, graceMs = 15_000): Promise<void> {
  return stopChild(running.process, graceMs);
}

/** SIGTERM, then SIGKILL if `child` has not exited after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
