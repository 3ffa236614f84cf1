import { Client } from 'pg';
import { acquireRelayLease } from '../../apps/command-service/src/outbox/relay-lease';
import { waitFor } from '../../tools/local-infra/wait-for';

const DAY_MS = 24 * 60 * 60 * 1_000;

export interface PausedRelay {
  resume(): Promise<void>;
}

/**
 * Holds the outbox relay lease in the given database, as another command-service instance
 * would: the service's relay then stays on standby and publishes nothing. Closing the session
 * frees the lease; the relay takes over within OUTBOX_LEADER_RETRY_MS.
 */
export async function pauseRelay(databaseUrl: string): Promise<PausedRelay> {
  const client = new Client({
    connectionString: databaseUrl,
    application_name: 'bench relay pause',
  });
  await client.connect();
  await waitFor(() => acquireRelayLease(client, 'bench relay pause', DAY_MS), {
    timeoutMs: 60_000,
    description: 'the outbox relay lease',
  });
  let resumed: Promise<void> | undefined;
  return { resume: () => (resumed ??= client.end()) };
}

/**
 * Takes the lease from a relay that holds it, as a standby does when the leader's session ends:
 * ends that session (the relay reconnects and stands by), then holds the lease as pauseRelay
 * does. Lets one service process, warm, drain several fills in turn.
 */
export async function takeOverRelay(databaseUrl: string): Promise<PausedRelay> {
  const client = new Client({
    connectionString: databaseUrl,
    application_name: 'bench relay pause',
  });
  await client.connect();
  await waitFor(
    async () => {
      await client.query(
        `SELECT pg_terminate_backend(holder_pid) FROM outbox_relay_lease
          WHERE holder_pid IS NOT NULL AND holder_pid <> pg_backend_pid()`,
      );
      return acquireRelayLease(client, 'bench relay pause', DAY_MS);
    },
    { timeoutMs: 60_000, intervalMs: 50, description: 'the outbox relay lease' },
  );
  let resumed: Promise<void> | undefined;
  return { resume: () => (resumed ??= client.end()) };
}

/** The relay leads from its first lease attempt on; a 1 here means the pause did not hold. */
export async function assertRelayStandby(appUrl: string): Promise<void> {
  if ((await relayLeader(appUrl)) !== 0) {
    throw new Error(
      'the outbox relay published while paused: does relay-lease.ts still use outbox_relay_lease?',
    );
  }
}

export async function waitUntilRelayLeads(appUrl: string): Promise<void> {
  await waitFor(async () => (await relayLeader(appUrl)) === 1, {
    timeoutMs: 30_000,
    intervalMs: 100,
    description: 'the outbox relay to take the lease',
  });
}

/** The service's outbox_relay_leader gauge. */
async function relayLeader(appUrl: string): Promise<number> {
  const metrics = await (await fetch(`${appUrl}/metrics`)).text();
  const match = /^outbox_relay_leader(?:\{[^}]*\})? (\S+)$/m.exec(metrics);
  if (!match) throw new Error('the command-service reports no outbox_relay_leader metric');
  return Number(match[1]);
}
