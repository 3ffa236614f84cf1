import { Client } from 'pg';
import { RELAY_LOCK_KEY } from '../../apps/command-service/src/outbox/outbox-relay';
import { waitFor } from '../../tools/local-infra/wait-for';

export interface PausedRelay {
  resume(): Promise<void>;
}

/**
 * Holds the relay's advisory lock in the given database, as another command-service instance
 * would: the service's relay then stays on standby and publishes nothing. Closing the session
 * releases the lock; the relay takes over within OUTBOX_LEADER_RETRY_MS.
 */
export async function pauseRelay(databaseUrl: string): Promise<PausedRelay> {
  const client = new Client({
    connectionString: databaseUrl,
    application_name: 'bench relay pause',
  });
  await client.connect();
  await client.query('SELECT pg_advisory_lock($1)', [RELAY_LOCK_KEY]);
  let resumed: Promise<void> | undefined;
  return { resume: () => (resumed ??= client.end()) };
}

/** The relay leads from its first lock attempt on; a 1 here means the pause did not hold. */
export async function assertRelayStandby(appUrl: string): Promise<void> {
  if ((await relayLeader(appUrl)) !== 0) {
    throw new Error(
      'the outbox relay published while paused: has RELAY_LOCK_KEY in outbox-relay.ts changed?',
    );
  }
}

export async function waitUntilRelayLeads(appUrl: string): Promise<void> {
  await waitFor(async () => (await relayLeader(appUrl)) === 1, {
    timeoutMs: 30_000,
    intervalMs: 100,
    description: 'the outbox relay to take the lock',
  });
}

/** The service's outbox_relay_leader gauge. */
async function relayLeader(appUrl: string): Promise<number> {
  const metrics = await (await fetch(`${appUrl}/metrics`)).text();
  const match = /^outbox_relay_leader(?:\{[^}]*\})? (\S+)$/m.exec(metrics);
  if (!match) throw new Error('the command-service reports no outbox_relay_leader metric');
  return Number(match[1]);
}
