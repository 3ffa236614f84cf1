import type { KafkaSaslCredentials } from './kafka.config';
import { KafkaAccessError } from './kafka.errors';

interface KafkajsErrorShape {
  name?: string;
  type?: string;
  message?: string;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown[];
}

/**
 * The refusal inside `error` (kafkajs nests causes: a retrier's NonRetriableError, a topic
 * creation's AggregateError), as a KafkaAccessError naming the principal; undefined when the
 * error is anything else (an outage, a timeout) and may pass by trying again.
 */
export function accessRefusal(
  error: unknown,
  sasl: KafkaSaslCredentials | undefined,
): KafkaAccessError | undefined {
  const refusal = findRefusal(error, 0);
  if (!refusal) return undefined;
  const who = sasl ? `principal User:${sasl.username}` : 'an unauthenticated client';
  const line =
    refusal.kind === 'authentication'
      ? `Kafka refused to authenticate ${who} (check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD): ${refusal.message}`
      : `Kafka denied ${who}: ${refusal.message} (${refusal.type}); its ACLs come from provisioning (tools/kafka/provision.ts)`;
  return new KafkaAccessError(line, { cause: error });
}

function findRefusal(
  error: unknown,
  depth: number,
): { kind: 'authentication' | 'authorization'; message: string; type?: string } | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  const shape = error as KafkajsErrorShape;
  if (
    shape.name === 'KafkaJSSASLAuthenticationError' ||
    shape.type === 'SASL_AUTHENTICATION_FAILED'
  ) {
    return { kind: 'authentication', message: shape.message ?? 'authentication failed' };
  }
  if (shape.type?.endsWith('_AUTHORIZATION_FAILED')) {
    return { kind: 'authorization', message: shape.message ?? shape.type, type: shape.type };
  }
  for (const inner of [shape.cause, shape.originalError, ...(shape.errors ?? [])]) {
    const found = findRefusal(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}
