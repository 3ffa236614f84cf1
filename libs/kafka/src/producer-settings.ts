import { UnsafeKafkaSettingsError } from './kafka.errors';

/**
 * The producer's durability-relevant settings. The defaults are the only values allowed for
 * acks, idempotence and in-flight requests; they exist as settings so that an attempt to weaken
 * them is refused loudly instead of silently ignored.
 */
export interface ProducerSettings {
  /** -1 ("all"): the leader waits for every in-sync replica. */
  acks: number | 'all';
  idempotent: boolean;
  /** kafkajs gives no ordering guarantee with more than one request in flight. */
  maxInFlightRequests: number;
  /** Upper bound for one send(), retries included; then it fails with KafkaSendTimeoutError. */
  sendTimeoutMs: number;
}

export const DEFAULT_PRODUCER_SETTINGS: ProducerSettings = {
  acks: -1,
  idempotent: true,
  maxInFlightRequests: 1,
  sendTimeoutMs: 30_000,
};

export function durableProducerSettings(
  overrides: Partial<ProducerSettings> = {},
): ProducerSettings {
  const settings = { ...DEFAULT_PRODUCER_SETTINGS, ...overrides };
  const problems: string[] = [];
  if (settings.acks !== -1 && settings.acks !== 'all') {
    problems.push(`producer acks is ${settings.acks}, required -1 (all in-sync replicas)`);
  }
  if (!settings.idempotent) {
    problems.push('producer idempotent is false, required true');
  }
  if (settings.maxInFlightRequests !== 1) {
    problems.push(
      `producer maxInFlightRequests is ${settings.maxInFlightRequests}, required 1 (ordering)`,
    );
  }
  if (!(settings.sendTimeoutMs > 0 && Number.isFinite(settings.sendTimeoutMs))) {
    problems.push(
      `producer sendTimeoutMs is ${settings.sendTimeoutMs}, required a positive number`,
    );
  }
  if (problems.length > 0) throw new UnsafeKafkaSettingsError(problems);
  return settings;
}
