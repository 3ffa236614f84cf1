import { Controller, Get, Header } from '@nestjs/common';
import { Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app; other modules register their counters on it. */
export class MetricsRegistry extends Registry {
  constructor(appName: string) {
    super();
    this.setDefaultLabels({ app: appName });
    collectDefaultMetrics({ register: this });
  }
}

@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: MetricsRegistry) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
