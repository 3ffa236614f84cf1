import {
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Client } from 'pg';
import { VIEW_CHANGED_CHANNEL } from '@app/order-view';

const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 5_000;

export interface ViewChangeListenerOptions {
  databaseUrl: string;
  /** Called on each notification, and after each (re)connection: changes may have been missed. */
  onChange: () => void;
}

/**
 * One dedicated session (not from the pool: LISTEN belongs to a session, and a pooled connection
 * would be handed to other queries) that LISTENs for view changes. When PostgreSQL restarts or
 * the connection breaks it reconnects with backoff; meanwhile the waiters' poll covers for it.
 */
export class ViewChangeListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ViewChangeListener.name);
  private running = false;
  private loop?: Promise<void>;
  private client?: Client;
  private wake?: () => void;
  private connected = false;

  constructor(private readonly options: ViewChangeListenerOptions) {}

  /** Whether notifications arrive right now. */
  get listening(): boolean {
    return this.connected;
  }

  /** Returns at once: the app serves (by polling) even while the database is unreachable. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    // Ending the session makes the loop's wait for its end return.
    await this.client?.end().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      const client = new Client({
        connectionString: this.options.databaseUrl,
        application_name: 'query-service view listener',
        // A silently dead connection (no FIN after a network failure) must be noticed.
        keepAlive: true,
        connectionTimeoutMillis: 5_000,
      });
      this.client = client;
      // Settles once the session is over, whatever ended it; 'error' without a listener would
      // crash the process.
      const ended = new Promise<string>((resolve) => {
        client.on('error', (error) => resolve(error.message));
        client.on('end', () => resolve('connection ended'));
      });
      client.on('notification', ({ channel }) => {
        if (channel === VIEW_CHANGED_CHANNEL) this.options.onChange();
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${VIEW_CHANGED_CHANNEL}`);
        this.connected = true;
        if (failures > 0) this.logger.log('listening for view changes again');
        failures = 0;
        this.options.onChange();
        const reason = await ended;
        if (this.running) this.logger.warn(`view change listener lost: ${reason}; reconnecting`);
      } catch (error) {
        failures++;
        if (this.running) {
          this.logger.warn(
            `view change listener cannot connect (attempt ${failures}): ${(error as Error).message}`,
          );
        }
      } finally {
        this.connected = false;
        this.client = undefined;
        await client.end().catch(() => undefined);
      }
      await this.pause(backoff(Math.max(1, failures)));
    }
  }

  private pause(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function backoff(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (failures - 1));
}
