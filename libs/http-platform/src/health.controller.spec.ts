import { HealthService } from './health.controller';
import type { ReadinessCheck, ReadinessResult } from './readiness-check';

const check = (name: string, run: () => Promise<ReadinessResult>): ReadinessCheck => ({
  name,
  check: run,
});

describe('HealthService.readiness', () => {
  it('is ready when every check answers, passing warnings and details on', async () => {
    const health = new HealthService([
      check('database', () => Promise.resolve({})),
      check('kafka', () =>
        Promise.resolve({ warning: 'relaxed durability', details: { consumers: [] } }),
      ),
    ]);
    await expect(health.readiness()).resolves.toEqual({
      ready: true,
      checks: {
        database: { status: 'up' },
        kafka: { status: 'up', warning: 'relaxed durability', details: { consumers: [] } },
      },
    });
  });

  it('is not ready when one check fails, and says why', async () => {
    const health = new HealthService([
      check('database', () => Promise.reject(new Error('ECONNREFUSED'))),
      check('kafka', () => Promise.resolve({})),
    ]);
    await expect(health.readiness()).resolves.toEqual({
      ready: false,
      checks: { database: { status: 'down', error: 'ECONNREFUSED' }, kafka: { status: 'up' } },
    });
  });

  it('counts a check that hangs as down instead of hanging the probe', async () => {
    jest.useFakeTimers();
    try {
      const health = new HealthService([check('kafka', () => new Promise(() => undefined))]);
      const result = health.readiness();
      await jest.advanceTimersByTimeAsync(2_000);
      await expect(result).resolves.toEqual({
        ready: false,
        checks: { kafka: { status: 'down', error: 'no answer within 2000 ms' } },
      });
    } finally {
      jest.useRealTimers();
    }
  });
});
