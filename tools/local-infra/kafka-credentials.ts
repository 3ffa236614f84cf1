import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { SASLOptions } from 'kafkajs';
import { KAFKA_SUPER_USER } from './kafka-broker-settings';

export interface KafkaCredential {
  username: string;
  password: string;
}

/** Every SCRAM user of a cluster: the super user and one principal per app (by name). */
export interface KafkaCredentials {
  superUser: KafkaCredential;
  principals: Record<string, KafkaCredential>;
}

/** One principal per app that talks to Kafka; the query-service reads PostgreSQL only. */
export const APP_PRINCIPALS = {
  commandService: 'command-service',
  projector: 'projector',
} as const;

/**
 * The credentials kept in `file` (mode 0600, beside the cluster's data, never committed), or new
 * random ones for `principals` when the file does not exist yet. SCRAM credentials are written
 * into the cluster's metadata when it is formatted, so a principal added to a formatted cluster
 * cannot log in: that is refused here, with what to do about it.
 */
export function loadOrCreateCredentials(file: string, principals: string[]): KafkaCredentials {
  if (!existsSync(file)) {
    const credentials: KafkaCredentials = {
      superUser: { username: KAFKA_SUPER_USER, password: generatedSecret() },
      principals: Object.fromEntries(
        principals.map((name) => [name, { username: name, password: generatedSecret() }]),
      ),
    };
    writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
    return credentials;
  }
  const credentials = readCredentials(file);
  const missing = principals.filter((name) => !credentials.principals[name]);
  if (missing.length > 0) {
    throw new Error(
      `Kafka principal(s) ${missing.join(', ')} have no credentials in ${file}: the cluster was formatted without them; delete its data directory to start afresh`,
    );
  }
  return credentials;
}

export function readCredentials(file: string): KafkaCredentials {
  return JSON.parse(readFileSync(file, 'utf8')) as KafkaCredentials;
}

/** kafkajs's SASL options for `credential`. */
export function scramSasl(credential: KafkaCredential): SASLOptions {
  return {
    mechanism: 'scram-sha-512',
    username: credential.username,
    password: credential.password,
  };
}

/** Client properties for Kafka's own CLI tools (`--command-config`), logged in as `credential`. */
export function clientProperties(credential: KafkaCredential): Record<string, string> {
  return {
    'security.protocol': 'SASL_PLAINTEXT',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${credential.username}" password="${credential.password}";`,
  };
}

/** URL- and properties-safe (hex), 192 bits. */
function generatedSecret(): string {
  return randomBytes(24).toString('hex');
}
