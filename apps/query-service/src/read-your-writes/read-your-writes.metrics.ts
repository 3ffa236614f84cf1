import { Counter, Gauge } from 'prom-client';
import type { MetricsRegistry } from '@app/http-platform';
import type { VersionWaiters } from './version-waiters';
import type { ViewChangeListener } from './view-change-listener';

/** Read-your-writes on /metrics, sampled at scrape time from the registry and the listener. */
export function registerReadYourWritesMetrics(
  registry: MetricsRegistry,
  waiters: VersionWaiters,
  listener: ViewChangeListener,
): void {
  const registers = [registry];
  new Gauge({
    name: 'query_view_waiters',
    help: 'Requests waiting for the view to reach their minVersion',
    registers,
    collect() {
      this.set(waiters.size);
    },
  });
  new Counter({
    name: 'query_view_version_queries_total',
    help: 'Lookups of the waited-on orders’ versions (one serves every waiter)',
    registers,
    collect() {
      // Mirrors the registry's own monotonic count.
      this.reset();
      this.inc(waiters.versionQueries);
    },
  });
  new Gauge({
    name: 'query_view_listener_connected',
    help: '1 while view change notifications arrive; 0 while waiters rely on polling alone',
    registers,
    collect() {
      this.set(listener.listening ? 1 : 0);
    },
  });
}
