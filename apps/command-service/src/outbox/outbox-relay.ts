import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Client } from 'pg';
import { ReliableProducer, type OutgoingRecord } from '@app/kafka';
import type { OutboxRelayOptions } from './outbox.config';
import { OutboxMetrics } from './outbox.metrics';

export const OUTBOX_RELAY_OPTIONS = Symbol('OUTBOX_RELAY_OPTIONS');

/** Any fixed number works; every instance of the command-service must use the same one. */
export const RELAY_LOCK_KEY = 727_002;
const NOTIFY_CHANNEL = 'outbox';
const BACKOFF_MIN_MS = 100;
/**
 * Payload bytes per send. A partition's share goes to the broker as one request, which must stay
 * under Kafka's default message.max.bytes (1 MiB); a request body is at most 64 KiB, so one
 * event always fits.
 */
const MAX_BATCH_BYTES = 512 * 1024;
const BACKOFF_MAX_MS = 5_000;

interface OutboxRow {
  id: string;
  order_id: string;
  payload: string;
  headers: Record<string, string>;
}

/**
 * Publishes the outbox to Kafka, oldest row first, and deletes rows only once Kafka has
 * acknowledged them, so a crash at any point repeats a publication (same event id) but never
 * loses one.
 *
 * One instance publishes at a time: the one holding a session advisory lock on its own
 * connection. The lock goes with that connection, so when the holder dies PostgreSQL releases
 * it and a standby, retrying every `leaderRetryMs`, takes over. The same connection LISTENs for
 * the outbox trigger's NOTIFY; a poll covers notifications lost while reconnecting.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loop?: Promise<void>;
  private connection?: Client;
  private notified = false;
  private wake?: () => void;

  constructor(
    @Inject(OUTBOX_RELAY_OPTIONS) private readonly options: OutboxRelayOptions,
    private readonly producer: ReliableProducer,
    private readonly metrics: OutboxMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Before the producer closes: the batch in flight finishes (or fails) and nothing new starts. */
  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const connection = await this.connect();
        if (!(await this.tryLead(connection))) {
          await this.disconnect();
          await this.pause(this.options.leaderRetryMs);
          continue;
        }
        failures = 0;
        await this.publishWhileLeading(connection);
      } catch (error) {
        // The connection failed (database down or restarted): the lock is gone with it.
        this.logger.warn(`relay connection lost: ${(error as Error).message}`);
        await this.disconnect();
        await this.pause(backoff(++failures));
      }
    }
    await this.disconnect();
  }

  private async publishWhileLeading(connection: Client): Promise<void> {
    let kafkaFailures = 0;
    while (this.running) {
      this.notified = false;
      const { rows } = await connection.query<OutboxRow>(
        'SELECT id, order_id, payload, headers FROM outbox ORDER BY id LIMIT $1',
        [this.options.batchSize],
      );
      if (rows.length === 0) {
        await this.pause(this.options.pollIntervalMs, { untilNotified: true });
        continue;
      }
      const batch = withinBytes(rows, MAX_BATCH_BYTES);
      try {
        await this.producer.send(this.options.topic, batch.map(toRecord));
      } catch (error) {
        // Kafka unavailable: keep the lock and the rows, and try the same batch again.
        this.metrics.publishFailures.inc();
        this.logger.warn(
          `publishing ${rows.length} outbox events failed: ${(error as Error).message}`,
        );
        await this.pause(backoff(++kafkaFailures));
        continue;
      }
      kafkaFailures = 0;
      // By id, not "id <= max": a row with a lower id can still be committing, unpublished.
      await connection.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [
        batch.map((row) => row.id),
      ]);
      this.metrics.published.inc(batch.length);
    }
  }

  private async connect(): Promise<Client> {
    const connection = new Client({
      connectionString: this.options.databaseUrl,
      application_name: 'command-service outbox relay',
      // A silently dead connection must fail (and release leadership to a standby) rather than
      // hang the relay: TCP keepalive plus bounds on connecting and on each query.
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
      query_timeout: 30_000,
    });
    // Without a listener a dropped connection's 'error' event would crash the process; the
    // next query on it fails and the loop reconnects.
    connection.on('error', (error) => this.logger.warn(`relay connection error: ${error.message}`));
    connection.on('notification', () => {
      this.notified = true;
      this.wake?.();
    });
    this.connection = connection;
    await connection.connect();
    return connection;
  }

  private async tryLead(connection: Client): Promise<boolean> {
    const { rows } = await connection.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1) AS locked',
      [RELAY_LOCK_KEY],
    );
    if (!rows[0]?.locked) return false;
    await connection.query(`LISTEN ${NOTIFY_CHANNEL}`);
    this.metrics.leader.set(1);
    this.logger.log('relaying the outbox (this instance holds the relay lock)');
    return true;
  }

  private async disconnect(): Promise<void> {
    this.metrics.leader.set(0);
    const connection = this.connection;
    this.connection = undefined;
    // Closing the session releases the advisory lock.
    await connection?.end().catch(() => undefined);
  }

  /** Waits `ms`, or less when stopping or, with untilNotified, when rows were committed. */
  private pause(ms: number, { untilNotified = false } = {}): Promise<void> {
    if (!this.running || (untilNotified && this.notified)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = untilNotified ? done : () => (this.running ? undefined : done());
    });
  }
}

function toRecord(row: OutboxRow): OutgoingRecord {
  return { key: row.order_id, value: row.payload, headers: row.headers };
}

/** The oldest rows whose payloads fit in `maxBytes`; always at least the first. */
function withinBytes(rows: OutboxRow[], maxBytes: number): OutboxRow[] {
  let bytes = 0;
  const fitting = rows.findIndex((row) => (bytes += Buffer.byteLength(row.payload)) > maxBytes);
  return fitting === -1 ? rows : rows.slice(0, Math.max(1, fitting));
}

function backoff(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (failures - 1));
}
