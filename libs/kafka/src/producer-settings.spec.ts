import { UnsafeKafkaSettingsError } from './kafka.errors';
import { DEFAULT_PRODUCER_SETTINGS, durableProducerSettings } from './producer-settings';

describe('durableProducerSettings', () => {
  it('defaults to acks=all, idempotence and one request in flight', () => {
    expect(durableProducerSettings()).toEqual({
      acks: -1,
      idempotent: true,
      maxInFlightRequests: 1,
      sendTimeoutMs: 30_000,
    });
  });

  it('accepts "all" for acks and a different send timeout', () => {
    expect(durableProducerSettings({ acks: 'all', sendTimeoutMs: 5_000 })).toEqual({
      ...DEFAULT_PRODUCER_SETTINGS,
      acks: 'all',
      sendTimeoutMs: 5_000,
    });
  });

  it.each([
    [{ acks: 1 }, 'producer acks is 1, required -1 (all in-sync replicas)'],
    [{ acks: 0 }, 'producer acks is 0, required -1 (all in-sync replicas)'],
    [{ idempotent: false }, 'producer idempotent is false, required true'],
    [{ maxInFlightRequests: 5 }, 'producer maxInFlightRequests is 5, required 1 (ordering)'],
    [{ sendTimeoutMs: Infinity }, 'producer sendTimeoutMs is Infinity, required a positive number'],
  ])('refuses %j, saying what and why', (weaker, problem) => {
    expect(() => durableProducerSettings(weaker)).toThrow(UnsafeKafkaSettingsError);
    expect(() => durableProducerSettings(weaker)).toThrow(problem);
  });

  it('lists every problem at once', () => {
    let caught: unknown;
    try {
      durableProducerSettings({ acks: 1, idempotent: false });
    } catch (error) {
      caught = error;
    }
    expect((caught as UnsafeKafkaSettingsError).problems).toHaveLength(2);
  });
});
