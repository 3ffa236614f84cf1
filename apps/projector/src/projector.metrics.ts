import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsRegistry } from '@app/http-platform';
import type { ConsumedBatch } from '@app/kafka';
import { ParkedEventRepository } from './persistence/parked-event.repository';
import type { BatchOutcome } from './view/project-batch';

export type ProjectionMode = 'live' | 'replay';

/**
 * The projector's own metrics; the offset lag per partition is the consumer's
 * `kafka_consumer_lag` (libs/kafka), for the live and the replay groups alike.
 */
@Injectable()
export class ProjectorMetrics {
  private readonly applied: Counter<'mode'>;
  private readonly duplicates: Counter<'mode'>;
  private readonly parked: Counter<'mode'>;
  private readonly batchSize: Histogram<'mode'>;
  private readonly lagSeconds: Gauge<'partition'>;
  readonly replayProgress: Gauge;
  readonly replayRunning: Gauge;

  constructor(registry: MetricsRegistry, parked: ParkedEventRepository) {
    const registers = [registry];
    this.applied = new Counter({
      name: 'projector_events_applied_total',
      help: 'Events applied to the order view (rate() gives events per second)',
      labelNames: ['mode'],
      registers,
    });
    this.duplicates = new Counter({
      name: 'projector_events_duplicate_total',
      help: 'Events skipped because the row already had their version',
      labelNames: ['mode'],
      registers,
    });
    this.parked = new Counter({
      name: 'projector_events_parked_total',
      help: 'Events parked: not applicable (version gap, unknown type) or behind a parked one',
      labelNames: ['mode'],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'projector_batch_size',
      help: 'Events per partition batch, each one database transaction',
      labelNames: ['mode'],
      buckets: [1, 10, 50, 100, 250, 500, 1_000, 2_500, 5_000],
      registers,
    });
    this.lagSeconds = new Gauge({
      name: 'projector_lag_seconds',
      help: 'Per partition, seconds from the last applied event occurring to its projection',
      labelNames: ['partition'],
      registers,
    });
    this.replayProgress = new Gauge({
      name: 'projector_replay_progress_ratio',
      help: 'Share of the events to replay that the running replay has projected (0 to 1)',
      registers,
    });
    this.replayRunning = new Gauge({
      name: 'projector_replay_running',
      help: '1 while this instance runs a replay',
      registers,
    });
    // Counted at scrape time from the table, so every instance reports the truth.
    new Gauge({
      name: 'projector_parked_orders',
      help: 'Orders of the current generation with parked events waiting for an operator',
      registers,
      async collect() {
        const counted = await parked.countParkedOrders().catch(() => undefined);
        if (counted !== undefined) this.set(counted);
      },
    });
  }

  recordBatch(
    mode: ProjectionMode,
    batch: Pick<ConsumedBatch<unknown>, 'partition' | 'items'>,
    outcome: BatchOutcome,
  ): void {
    this.batchSize.observe({ mode }, batch.items.length);
    this.applied.inc({ mode }, outcome.applied);
    this.duplicates.inc({ mode }, outcome.duplicates);
    this.parked.inc({ mode }, outcome.parked.length);
    const last = batch.items[batch.items.length - 1];
    if (mode === 'live' && last) {
      const occurredAt = Date.parse(
        (last.value as { occurredAt?: string } | undefined)?.occurredAt ?? '',
      );
      const from = Number.isNaN(occurredAt) ? last.record.timestamp : occurredAt;
      this.lagSeconds.set({ partition: String(batch.partition) }, (Date.now() - from) / 1000);
    }
  }
}
