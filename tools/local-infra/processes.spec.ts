import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessRunning, readPidFile, terminate, writePidFile } from './processes';
import { waitFor } from './wait-for';

/**
 * The launchers stop Kafka nodes and PostgreSQL through pid files that outlive the processes
 * (a crash, a reboot): a pid may since belong to another process, which must never be signalled.
 */
describe('pid files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pid-files-'));
  const pidFile = join(dir, 'pid');
  const children: ChildProcess[] = [];

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** A process whose command line ends with `argument`, once it has exec'd. */
  async function started(argument: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', argument], {
      stdio: 'ignore',
    });
    children.push(child);
    await waitFor(() => readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').includes(argument), {
      timeoutMs: 10_000,
      description: 'the child to start',
    });
    return child;
  }

  const exitSignal = (child: ChildProcess) =>
    new Promise<NodeJS.Signals | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode);
      else child.once('exit', (_code, signal) => resolve(signal));
    });

  it('stops the process the pid file names', async () => {
    const marker = join(dir, 'node-1.properties');
    const child = await started(marker);
    writePidFile(pidFile, child.pid!);

    await terminate(readPidFile(pidFile)!, marker, { graceMs: 10_000 });
    expect(await exitSignal(child)).toBe('SIGTERM');
  });

  it('spares a process that has the pid but started at another time (pid reused)', async () => {
    const marker = join(dir, 'node-2.properties');
    const child = await started(marker);
    // What the file would say had an earlier process with this pid written it.
    writeFileSync(pidFile, `${child.pid}\n1\n`);

    expect(isProcessRunning(readPidFile(pidFile)!, marker)).toBe(false);
    await terminate(readPidFile(pidFile)!, marker, { graceMs: 10_000 });
    child.kill('SIGKILL');
    expect(await exitSignal(child)).toBe('SIGKILL');
  });

  it('spares a process whose command line merely contains the marker', async () => {
    const marker = join(dir, 'data');
    const child = await started(`${marker}2`);
    writePidFile(pidFile, child.pid!);

    expect(isProcessRunning(readPidFile(pidFile)!, marker)).toBe(false);
    await terminate(readPidFile(pidFile)!, marker, { graceMs: 10_000 });
    child.kill('SIGKILL');
    expect(await exitSignal(child)).toBe('SIGKILL');
  });

  it('reads a pid file written before start times were recorded', async () => {
    const marker = join(dir, 'node-3.properties');
    const child = await started(marker);
    writeFileSync(pidFile, String(child.pid));

    expect(readPidFile(pidFile)).toEqual({ pid: child.pid });
    expect(isProcessRunning(readPidFile(pidFile)!, marker)).toBe(true);
    child.kill('SIGKILL');
    await exitSignal(child);
  });
});
