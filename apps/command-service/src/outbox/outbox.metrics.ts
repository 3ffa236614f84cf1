import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { Counter, Gauge } from 'prom-client';
import { MetricsRegistry } from '@app/http-platform';

/** Outbox health for /metrics: how much waits, for how long, and how fast it drains. */
@Injectable()
export class OutboxMetrics {
  readonly published: Counter;
  readonly publishFailures: Counter;
  readonly leader: Gauge;

  constructor(registry: MetricsRegistry, @Inject(Pool) pool: Pool) {
    const registers = [registry];
    this.published = new Counter({
      name: 'outbox_events_published_total',
      help: 'Outbox events acknowledged by Kafka and removed from the outbox',
      registers,
    });
    this.publishFailures = new Counter({
      name: 'outbox_publish_failures_total',
      help: 'Outbox batches whose publication failed and will be retried',
      registers,
    });
    this.leader = new Gauge({
      name: 'outbox_relay_leader',
      help: '1 while this instance holds the relay lock and publishes',
      registers,
    });
    // Measured at scrape time from the table itself, so every instance reports the truth, not
    // only the one relaying.
    // A failing query (database down) leaves the last values rather than failing the scrape.
    let backlog: Promise<{ depth: number; oldest_age_seconds: number } | undefined> | undefined;
    const readBacklog = () =>
      (backlog ??= pool
        .query<{ depth: number; oldest_age_seconds: number }>(
          `SELECT count(*)::int AS depth,
                  coalesce(extract(epoch FROM now() - min(created_at)), 0)::float AS oldest_age_seconds
             FROM outbox`,
        )
        .then(({ rows }) => rows[0])
        .catch(() => undefined)
        .finally(() => (backlog = undefined)));
    new Gauge({
      name: 'outbox_depth',
      help: 'Events stored but not yet acknowledged by Kafka',
      registers,
      async collect() {
        const current = await readBacklog();
        if (current) this.set(current.depth);
      },
    });
    new Gauge({
      name: 'outbox_oldest_age_seconds',
      help: 'Age of the oldest event waiting in the outbox',
      registers,
      async collect() {
        const current = await readBacklog();
        if (current) this.set(current.oldest_age_seconds);
      },
    });
  }
}
