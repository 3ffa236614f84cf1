import type { OrderEvent } from '@app/order-domain';
import type { OrderEventEnvelope, OrderEventMetadata } from '@app/order-events';
import { IdempotencyKeyReusedError, type IdempotencyClaim } from '../src/orders/idempotency-keys';
import {
  OrderEventStore,
  StreamVersionConflictError,
  envelopesFor,
  type OrderStoreTransaction,
} from '../src/orders/order-event-store';

/** A committed idempotency key: the fingerprint of its request and the JSON text of its answer. */
export interface StoredIdempotencyKey {
  readonly fingerprint: string;
  readonly responseText?: string;
}

/**
 * OrderEventStore in memory, for unit tests of what runs on it (never bound in production).
 * It keeps the PostgreSQL adapter's guarantees: a transaction's writes are visible to itself only
 * and land all together at commit, or not at all when its work throws; an append at a version
 * another transaction committed fails with StreamVersionConflictError, at the append or at the
 * commit (PostgreSQL's primary key refuses it once the other commits); a claimed Idempotency-Key
 * makes a concurrent claim of it wait for the claiming transaction to end. Not modelled: key
 * retention, upcasting (events are stored as the newest schema version, as writers write them).
 */
export class InMemoryOrderEventStore extends OrderEventStore {
  private readonly streams = new Map<string, OrderEventEnvelope[]>();
  private readonly keys = new Map<string, StoredIdempotencyKey>();
  /** Keys claimed by a transaction still open: settled when it ends. */
  private readonly keyClaims = new Map<string, Promise<void>>();
  private readonly appendHooks: (() => Promise<unknown>)[] = [];
  /** Every committed event in commit order: what the outbox relay would publish. */
  readonly outbox: OrderEventEnvelope[] = [];
  transactionsBegun = 0;

  async transaction<T>(work: (tx: OrderStoreTransaction) => Promise<T>): Promise<T> {
    this.transactionsBegun += 1;
    // A real store answers after I/O. Without this turn of the event loop, a retry loop that
    // never ends would spin in microtasks and not even a test's timeout could stop it.
    await new Promise((resolve) => setImmediate(resolve));
    const tx = new InMemoryTransaction(this);
    try {
      const result = await work(tx);
      tx.commit();
      return result;
    } finally {
      tx.end();
    }
  }

  /**
   * Runs `hook` when some transaction next appends, before it checks the version: what another
   * writer commits in the hook is what a concurrent request committed while this one decided.
   */
  beforeNextAppend(hook: () => Promise<unknown>): void {
    this.appendHooks.push(hook);
  }

  /** The order's committed events. */
  events(orderId: string): readonly OrderEventEnvelope[] {
    return this.streams.get(orderId) ?? [];
  }

  /** The committed idempotency keys. */
  idempotencyKeys(): ReadonlyMap<string, StoredIdempotencyKey> {
    return this.keys;
  }

  /** @internal the transaction's side of the store. */
  committedVersion(orderId: string): number {
    return this.streams.get(orderId)?.length ?? 0;
  }

  /** @internal */
  nextAppendHook(): (() => Promise<unknown>) | undefined {
    return this.appendHooks.shift();
  }

  /** @internal */
  storedKey(key: string): StoredIdempotencyKey | undefined {
    return this.keys.get(key);
  }

  /** @internal the open transaction's claim on `key`, if another holds it. */
  keyClaim(key: string): Promise<void> | undefined {
    return this.keyClaims.get(key);
  }

  /** @internal */
  holdKey(key: string, released: Promise<void>): void {
    this.keyClaims.set(key, released);
  }

  /** @internal */
  releaseKey(key: string): void {
    this.keyClaims.delete(key);
  }

  /** @internal applies a transaction's writes, all or none. */
  apply(
    appended: ReadonlyMap<string, OrderEventEnvelope[]>,
    keys: ReadonlyMap<string, StoredIdempotencyKey>,
  ): void {
    for (const [orderId, events] of appended) {
      const expectedVersion = events[0].version - 1;
      if (this.committedVersion(orderId) !== expectedVersion) {
        throw new StreamVersionConflictError(orderId, expectedVersion);
      }
    }
    for (const [orderId, events] of appended) {
      this.streams.set(orderId, [...this.events(orderId), ...events]);
      this.outbox.push(...events);
    }
    for (const [key, stored] of keys) this.keys.set(key, stored);
  }
}

class InMemoryTransaction implements OrderStoreTransaction {
  private readonly appended = new Map<string, OrderEventEnvelope[]>();
  private readonly claimed = new Map<string, StoredIdempotencyKey>();
  private readonly releases: (() => void)[] = [];
  private ended = false;

  constructor(private readonly store: InMemoryOrderEventStore) {}

  readStream(orderId: string): Promise<OrderEventEnvelope[]> {
    this.checkOpen();
    return Promise.resolve([...this.store.events(orderId), ...(this.appended.get(orderId) ?? [])]);
  }

  async append(
    orderId: string,
    expectedVersion: number,
    events: readonly OrderEvent[],
    metadata: OrderEventMetadata,
  ): Promise<OrderEventEnvelope[]> {
    this.checkOpen();
    await this.store.nextAppendHook()?.();
    const own = this.appended.get(orderId) ?? [];
    const current = this.store.committedVersion(orderId) + own.length;
    if (expectedVersion < current) throw new StreamVersionConflictError(orderId, expectedVersion);
    if (expectedVersion > current) {
      throw new Error(`append at ${expectedVersion} leaves a gap after ${current} in ${orderId}`);
    }
    const envelopes = envelopesFor(orderId, expectedVersion, events, metadata);
    this.appended.set(orderId, [...own, ...envelopes]);
    return envelopes;
  }

  async claimIdempotencyKey<T>(key: string, fingerprint: string): Promise<IdempotencyClaim<T>> {
    this.checkOpen();
    if (this.claimed.has(key)) throw new Error(`Idempotency-Key ${key} claimed twice`);
    // As a row lock: wait for the claiming transaction to end, then look again.
    for (let held = this.store.keyClaim(key); held; held = this.store.keyClaim(key)) await held;
    const stored = this.store.storedKey(key);
    if (stored) {
      if (stored.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(key);
      if (stored.responseText === undefined) throw new Error(`${key} committed without a response`);
      return { kind: 'replay', response: JSON.parse(stored.responseText) as T };
    }
    this.claimed.set(key, { fingerprint });
    this.store.holdKey(key, new Promise((resolve) => this.releases.push(resolve)));
    return { kind: 'claimed' };
  }

  recordResponse(key: string, response: unknown): Promise<void> {
    this.checkOpen();
    const claim = this.claimed.get(key);
    if (!claim) throw new Error(`Idempotency-Key ${key} is not claimed by this transaction`);
    this.claimed.set(key, { ...claim, responseText: JSON.stringify(response) });
    return Promise.resolve();
  }

  commit(): void {
    this.store.apply(this.appended, this.claimed);
  }

  /** Committed or rolled back: releases the keys it claimed, so waiting claims look again. */
  end(): void {
    this.ended = true;
    for (const key of this.claimed.keys()) this.store.releaseKey(key);
    for (const release of this.releases) release();
  }

  private checkOpen(): void {
    if (this.ended) throw new Error('the transaction has ended');
  }
}
