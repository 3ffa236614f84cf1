import { Pool, type PoolClient, type PoolConfig } from 'pg';

/**
 * A pool whose clients record the text of every statement they run (a COPY's too): tests of what
 * travels in a batch's one statement and what by COPY.
 */
export class RecordingPool extends Pool {
  readonly statements: string[] = [];

  constructor(config: PoolConfig) {
    super(config);
    this.on('connect', (client: PoolClient) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (
        ...args: unknown[]
      ) => {
        const [first] = args as [string | { text?: unknown }];
        const text = typeof first === 'string' ? first : first?.text;
        if (typeof text === 'string') this.statements.push(text);
        return query(...args);
      };
    });
  }
}
