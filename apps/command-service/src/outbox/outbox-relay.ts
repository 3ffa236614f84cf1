import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { hostname } from 'node:os';
import { Client } from 'pg';
import { SpanKind } from '@opentelemetry/api';
import { ReliableProducer, type OutgoingRecord } from '@app/kafka';
import { inSpan, isTracing, linksFromHeaders } from '@app/tracing';
import { outboxConfig, type OutboxRelayOptions } from './outbox.config';
import { OutboxMetrics } from './outbox.metrics';
import { HeldLease } from './relay-lease';

const NOTIFY_CHANNEL = 'outbox';
/** How long a polite goodbye to PostgreSQL may take before the socket is simply closed. */
const CLOSE_TIMEOUT_MS = 2_000;
const BACKOFF_MIN_MS = 100;
/**
 * Payload bytes per send. A partition's share goes to the broker as one request, which must stay
 * under Kafka's default message.max.bytes (1 MiB); a request body is at most 64 KiB, so one
 * event always fits.
 */
const MAX_BATCH_BYTES = 512 * 1024;
const BACKOFF_MAX_MS = 5_000;

/**
 * Deleting rows Kafka has acknowledged, committed without waiting for the WAL flush
 * (synchronous_commit off for this statement's transaction alone): the relay reads its next
 * batch only after this delete, so a flush per batch sat on the publishing path. A delete lost
 * to a database crash only publishes those events again, with their event ids, which consumers
 * already dedupe; nothing acknowledged or stored is lost.
 */
const DELETE_PUBLISHED = `
  WITH no_flush_wait AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
  DELETE FROM outbox WHERE id = ANY($1::bigint[]) AND EXISTS (SELECT FROM no_flush_wait)`;

interface InFlightBatch {
  ids: string[];
  /** Settles once Kafka acknowledged the batch (true) or the send failed (false); never rejects. */
  acknowledged: Promise<boolean>;
}

interface OutboxRow {
  id: string;
  order_id: string;
  payload: string;
  headers: Record<string, string>;
}

/**
 * Publishes the outbox to Kafka, oldest row first, and deletes rows only once Kafka has
 * acknowledged them, so a crash at any point repeats a publication (same event id) but never
 * loses one. Whoever publishes, an event's predecessors are either acknowledged already or
 * earlier in the same batch, so even two relays at once only repeat events, never reorder them.
 *
 * One instance publishes at a time: the holder of the relay lease (see HeldLease), taken and
 * renewed on a connection of its own. A standby retries every `leaderRetryMs` and takes over
 * when the lease runs out (the leader vanished) or the leader's session ended (it died). The
 * same connection LISTENs for the outbox trigger's NOTIFY; a poll covers notifications lost
 * while reconnecting.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loop?: Promise<void>;
  private connection?: { client: Client; socket: Socket };
  private lease?: HeldLease;
  /** Who holds the lease, as stored in the table: readable by an operator, unique per process. */
  private readonly holder = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private notified = false;
  private wake?: () => void;

  constructor(
    @Inject(outboxConfig.KEY) private readonly options: OutboxRelayOptions,
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
        const lease = await this.tryLead(connection);
        if (!lease) {
          await this.disconnect();
          await this.pause(this.options.leaderRetryMs);
          continue;
        }
        failures = 0;
        await this.publishWhileLeading(connection, lease);
      } catch (error) {
        // The connection failed (database down or restarted, or cut when the lease was lost).
        this.logger.warn(`relay connection lost: ${(error as Error).message}`);
        await this.disconnect();
        await this.pause(backoff(++failures));
      }
    }
    await this.disconnect();
  }

  /**
   * Pipelined: while one batch is on its way to Kafka, the next is read (the oldest rows not in
   * flight), and the acknowledged batch's rows are deleted while the next one is sent. A batch
   * read behind one that then fails is dropped and read again, so no row overtakes an older one.
   */
  private async publishWhileLeading(connection: Client, lease: HeldLease): Promise<void> {
    let kafkaFailures = 0;
    let inFlight: InFlightBatch | undefined;
    let deleting: Promise<unknown> = Promise.resolve();
    try {
      while (this.running) {
        assertHeld(lease);
        this.notified = false;
        await deleting;
        const { rows } = await connection.query<OutboxRow>(
          'SELECT id, order_id, payload, headers FROM outbox WHERE NOT (id = ANY($2::bigint[])) ORDER BY id LIMIT $1',
          [this.options.batchSize, inFlight?.ids ?? []],
        );
        const justPublished = inFlight !== undefined;
        if (inFlight) {
          const sent = inFlight;
          inFlight = undefined;
          if (!(await sent.acknowledged)) {
            // Kafka unavailable: keep the lease and the rows, and read them again after a pause.
            await this.pause(backoff(++kafkaFailures));
            continue;
          }
          kafkaFailures = 0;
          deleting = this.deletePublished(connection, sent.ids);
          // Awaited before the next read; a failure there ends the leadership like any query's.
          deleting.catch(() => undefined);
        }
        if (rows.length === 0) {
          // Rows committed while a batch was in flight are read at once; otherwise wait for some.
          if (!justPublished)
            await this.pause(this.options.pollIntervalMs, { untilNotified: true });
          continue;
        }
        // The rows may have waited behind a renewal that never came back.
        assertHeld(lease);
        inFlight = this.send(withinBytes(rows, MAX_BATCH_BYTES));
      }
    } finally {
      // Stopping (or the lease lost): a batch on its way ends on its own; its rows are deleted if
      // acknowledged and the connection still works, and are published again otherwise.
      await deleting.catch(() => undefined);
      if (inFlight && (await inFlight.acknowledged) && lease.held) {
        await this.deletePublished(connection, inFlight.ids).catch(() => undefined);
      }
    }
  }

  private send(batch: OutboxRow[]): InFlightBatch {
    // A span per send, linked to the commands that stored its events; each record keeps its
    // command's traceparent, for the consumers to link to in turn.
    const sending = inSpan(
      `${this.options.topic} publish`,
      {
        root: true,
        kind: SpanKind.PRODUCER,
        links: isTracing() ? linksFromHeaders(batch) : [],
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': this.options.topic,
          'messaging.batch.message_count': batch.length,
        },
      },
      () => this.producer.send(this.options.topic, batch.map(toRecord)),
    );
    const acknowledged = sending.then(
      () => true,
      (error: unknown) => {
        this.metrics.publishFailures.inc();
        this.logger.warn(
          `publishing ${batch.length} outbox events failed: ${(error as Error).message}`,
        );
        return false;
      },
    );
    return { ids: batch.map((row) => row.id), acknowledged };
  }

  /** By id, not "id <= max": a row with a lower id can still be committing, unpublished. */
  private async deletePublished(connection: Client, ids: string[]): Promise<void> {
    await connection.query(DELETE_PUBLISHED, [ids]);
    this.metrics.published.inc(ids.length);
  }

  private async connect(): Promise<Client> {
    // Our own socket, so that it can be closed when the server no longer answers.
    const socket = new Socket();
    const connection = new Client({
      connectionString: this.options.databaseUrl,
      application_name: 'command-service outbox relay',
      stream: () => socket,
      // A silently dead connection must fail rather than hang a standby: bounds on connecting
      // and on each query. The leader does not wait for them: its lease ends it first.
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
      query_timeout: this.options.leaseMs,
    });
    // Without a listener a dropped connection's 'error' event would crash the process; the
    // next query on it fails and the loop reconnects.
    connection.on('error', (error) => this.logger.warn(`relay connection error: ${error.message}`));
    connection.on('notification', () => {
      this.notified = true;
      this.wake?.();
    });
    this.connection = { client: connection, socket };
    await connection.connect();
    await connection.query(serverSideTimeouts(this.options.leaseMs));
    return connection;
  }

  private async tryLead(connection: Client): Promise<HeldLease | undefined> {
    const lease = await HeldLease.take(connection, this.holder, this.options.leaseMs, (reason) =>
      this.stepDown(reason),
    );
    if (!lease) return undefined;
    this.lease = lease;
    await connection.query(`LISTEN ${NOTIFY_CHANNEL}`);
    this.metrics.leader.set(1);
    this.logger.log(
      `relaying the outbox (this instance holds the relay lease, term ${lease.term})`,
    );
    return lease;
  }

  /**
   * The lease may have run out: stop publishing now. Closing the socket fails whatever the
   * relay awaits from the database; a Kafka send already under way still ends on its own (within
   * KAFKA_SEND_TIMEOUT_MS).
   */
  private stepDown(reason: string): void {
    this.logger.warn(`relay lease lost (${reason}): no longer publishing`);
    this.metrics.leader.set(0);
    this.connection?.socket.destroy();
    this.wake?.();
  }

  private async disconnect(): Promise<void> {
    this.metrics.leader.set(0);
    this.lease?.stop();
    this.lease = undefined;
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    // Ending the session frees the lease for a standby at once. A server that does not answer
    // (a cut network) gets its socket closed instead.
    const timer = setTimeout(() => connection.socket.destroy(), CLOSE_TIMEOUT_MS);
    await connection.client.end().catch(() => undefined);
    clearTimeout(timer);
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

/**
 * Makes the server drop this session about `leaseMs` after its client went silent (keepalive
 * while idle, tcp_user_timeout while it has data unacknowledged), instead of keeping it for the
 * OS default of over two hours: a vanished leader's session would otherwise linger that long
 * and, as a LISTENer that reads nothing, hold back PostgreSQL's notification queue. TCP only;
 * ignored on a Unix socket.
 */
function serverSideTimeouts(leaseMs: number): string {
  const seconds = (fraction: number) => Math.max(1, Math.ceil((leaseMs * fraction) / 1000));
  return [
    `SET tcp_keepalives_idle = ${seconds(1 / 2)}`,
    `SET tcp_keepalives_interval = ${seconds(1 / 6)}`,
    'SET tcp_keepalives_count = 3',
    `SET tcp_user_timeout = ${Math.ceil(leaseMs)}`,
  ].join('; ');
}

function assertHeld(lease: HeldLease): void {
  if (!lease.held) throw new Error('the relay lease was lost');
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
