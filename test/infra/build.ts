import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Compiles the apps into dist/ the way `npm start` and the Dockerfile do. */
export async function buildApps(): Promise<void> {
  await execFileAsync('npm', ['run', 'build'], {
    cwd: resolve(__dirname, '../..'),
    maxBuffer: 10 * 1024 * 1024,
  });
}
