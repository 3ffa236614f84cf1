import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ReadinessCheck } from './readiness-check';

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
const CHECK_TIMEOUT_MS = 2_000;

interface CheckReport {
  status: 'up' | 'down';
  warning?: string;
  error?: string;
  details?: Record<string, unknown>;
}

export class HealthService {
  constructor(private readonly checks: ReadinessCheck[]) {}

  async readiness(): Promise<{ ready: boolean; checks: Record<string, CheckReport> }> {
    const reports = await Promise.all(
      this.checks.map(async (check): Promise<[string, CheckReport]> => {
        try {
          const { warning, details } = await withTimeout(check.check(), CHECK_TIMEOUT_MS);
          return [
            check.name,
            { status: 'up', ...(warning && { warning }), ...(details && { details }) },
          ];
        } catch (error) {
          return [check.name, { status: 'down', error: (error as Error).message }];
        }
      }),
    );
    return {
      ready: reports.every(([, report]) => report.status === 'up'),
      checks: Object.fromEntries(reports),
    };
  }
}

@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** The process is up and its event loop answers; says nothing about dependencies. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Every dependency answers; a load balancer sends traffic only while this is 200. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const { ready, checks } = await this.health.readiness();
    reply.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ready ? 'ready' : 'not_ready', checks };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
