import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { waitFor, withTimeout } from '../../tools/local-infra/wait-for';

/** A TypeScript script run as a process of its own, with everything it printed. */
export interface ScriptProcess {
  child: ChildProcess;
  output: { text: string };
}

/**
 * Runs `script` with tsx as a loader in the node process itself, not tsx's CLI: the CLI runs the
 * script in a child of its own, which a SIGKILL to the CLI would leave running after the test.
 */
export function startScript(script: string, env: Record<string, string>): ScriptProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: resolve(__dirname, '../..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { text: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
  return { child, output };
}

/** Waits until the script printed `marker`; fails at once, with its output, if it exited. */
export async function waitForOutput(script: ScriptProcess, marker: string): Promise<void> {
  await waitFor(
    () => {
      if (script.child.exitCode !== null) throw new Error(`script exited:\n${script.output.text}`);
      return script.output.text.includes(marker);
    },
    { timeoutMs: 120_000, description: `script output ${marker}` },
  );
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return withTimeout(
    new Promise<void>((done) => child.once('exit', () => done())),
    30_000,
    'script exit',
  );
}
