import {
  Injectable,
  Module,
  RequestMethod,
  type DynamicModule,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { HttpTracingInterceptor, isTracing, stopTracing } from '@app/tracing';
import { LoggerModule } from 'nestjs-pino';
import type { ErrorMapper } from './api-error';
import { ApiExceptionFilter } from './api-exception.filter';
import { HealthController, HealthService, READINESS_CHECKS } from './health.controller';
import { MetricsController, MetricsRegistry } from './metrics.controller';
import type { ReadinessCheck } from './readiness-check';
import { requestLogOptions } from './request-log';
import { RequestValidationPipe } from './validation.pipe';

export interface PlatformOptions {
  appName: string;
  logLevel: string;
  /** Providers (resolvable in the app's module tree) that must answer before the app is ready. */
  readinessChecks: Type<ReadinessCheck>[];
  /** Turns the app's own errors (domain refusals, conflicts) into HTTP refusals. */
  mapError?: ErrorMapper;
}

/** Exports the spans still buffered when the app stops. */
@Injectable()
class TracingShutdown implements OnApplicationShutdown {
  onApplicationShutdown(): Promise<void> {
    return stopTracing();
  }
}

/**
 * What every app of the suite serves besides its own API: JSON logs, health, metrics, and one
 * way of validating requests and answering errors.
 */
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          // One short line per request; credentials in headers never reach the log.
          pinoHttp: requestLogOptions(options.appName, options.logLevel),
          // Probes and scrapes would drown the request log.
          exclude: [RequestMethod.GET, RequestMethod.HEAD].flatMap((method) => [
            { method, path: 'health/{*path}' },
            { method, path: 'metrics' },
          ]),
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: APP_FILTER, useValue: new ApiExceptionFilter(options.mapError) },
        { provide: APP_PIPE, useValue: new RequestValidationPipe() },
        { provide: MetricsRegistry, useValue: new MetricsRegistry(options.appName) },
        {
          provide: READINESS_CHECKS,
          useFactory: (...checks: ReadinessCheck[]) => checks,
          inject: options.readinessChecks,
        },
        {
          provide: HealthService,
          useFactory: (checks: ReadinessCheck[]) => new HealthService(checks),
          inject: [READINESS_CHECKS],
        },
        // Only while tracing is on (OTEL_TRACES_EXPORTER): off, requests pay nothing for it.
        ...(isTracing()
          ? [{ provide: APP_INTERCEPTOR, useClass: HttpTracingInterceptor }, TracingShutdown]
          : []),
      ],
      exports: [MetricsRegistry],
    };
  }
}
