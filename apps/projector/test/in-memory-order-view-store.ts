import type { OrderEventEnvelope } from '@app/order-events';
import { CheckpointStore, type Checkpoint } from '../src/view/checkpoint.store';
import {
  OrderViewStore,
  type BatchCheckpoint,
  type OrderViewTransaction,
  type ParkedEventRow,
  type ViewChanges,
} from '../src/view/order-view.store';
import type { BatchStart, ParkedEvent, StoredOrder } from '../src/view/project-batch';
import {
  decisionKeyOf,
  type OperatorDecision,
  type ParkedResolutionKind,
} from '../src/view/resume-parked';

/** The read database's tables, as far as the view writer uses them. */
interface Tables {
  currentGeneration: number;
  /** The generation a running replay builds. */
  building: number | undefined;
  /** generation → order id → row. */
  rows: Map<number, Map<string, StoredOrder>>;
  /** generation → order id → version → the event as the projection read it. */
  history: Map<number, Map<string, Map<number, OrderEventEnvelope>>>;
  /** generation → `topic:partition` → checkpoint. */
  checkpoints: Map<number, Map<string, Checkpoint & { topic: string }>>;
  /** generation → `topic:partition:offset` → parked event. */
  parked: Map<number, Map<string, ParkedEventRow>>;
  /** decisionKey → decision. */
  decisions: Map<string, OperatorDecision>;
}

function inGeneration<K, V>(map: Map<number, Map<K, V>>, generation: number): Map<K, V> {
  let inner = map.get(generation);
  if (!inner) {
    inner = new Map();
    map.set(generation, inner);
  }
  return inner;
}

/**
 * OrderViewStore and CheckpointStore in memory, for unit tests of the view writer's logic (never
 * bound in production). It keeps the PostgreSQL adapter's guarantees that the logic relies on:
 * a transaction's writes land all together at commit, or not at all when its work throws;
 * transactions run one at a time (the generation and partition locks, coarsely); a row's upsert
 * replaces it (and fails the transaction if it names one order twice), a history row or a parked
 * offset already there is kept as it is, a checkpoint never moves backwards, and a notification is
 * sent only by a transaction that commits.
 */
export class InMemoryOrderViewStore extends OrderViewStore {
  private tables: Tables = {
    currentGeneration: 1,
    building: undefined,
    rows: new Map(),
    history: new Map(),
    checkpoints: new Map(),
    parked: new Map(),
    decisions: new Map(),
  };
  private queue: Promise<unknown> = Promise.resolve();
  private failure?: { method: keyof OrderViewTransaction; error: Error };
  /** Notifications committed (each wakes the query-service's waiters once). */
  notifications = 0;
  transactionsCommitted = 0;
  /** The CheckpointStore over the same tables. */
  readonly checkpoints: CheckpointStore = new InMemoryCheckpointStore(() => this.tables);

  transaction<T>(work: (tx: OrderViewTransaction) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      // A real store answers after I/O: a test never depends on everything running in one turn.
      await new Promise((resolve) => setImmediate(resolve));
      const failure = this.failure;
      this.failure = undefined;
      const tx = new InMemoryTransaction(structuredClone(this.tables), failure);
      const result = await work(tx);
      this.tables = tx.tables;
      this.notifications += tx.notified ? 1 : 0;
      this.transactionsCommitted += 1;
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  currentGeneration(): Promise<number> {
    return Promise.resolve(this.tables.currentGeneration);
  }

  /** The next transaction fails with `error` when it calls `method` (and so stores nothing). */
  failNextAt(method: keyof OrderViewTransaction, error = new Error(`${method} failed`)): void {
    this.failure = { method, error };
  }

  /** A replay running into `generation` (undefined: none runs). */
  setGenerationBeingBuilt(generation: number | undefined): void {
    this.tables.building = generation;
  }

  /** A replay's switch. */
  makeCurrent(generation: number): void {
    this.tables.currentGeneration = generation;
  }

  /** The rows of a generation (the current one by default), by order id. */
  rows(generation = this.tables.currentGeneration): ReadonlyMap<string, StoredOrder> {
    return this.tables.rows.get(generation) ?? new Map();
  }

  /** The order's history rows in version order, as event ids. */
  history(orderId: string, generation = this.tables.currentGeneration): string[] {
    const versions =
      this.tables.history.get(generation)?.get(orderId) ?? new Map<number, OrderEventEnvelope>();
    return [...versions.entries()].sort(([a], [b]) => a - b).map(([, event]) => event.eventId);
  }

  /** Parked events of a generation, in the order parked. */
  parkedEvents(generation = this.tables.currentGeneration): ParkedEventRow[] {
    return [...(this.tables.parked.get(generation)?.values() ?? [])];
  }

  decisions(): ReadonlyMap<string, OperatorDecision> {
    return this.tables.decisions;
  }
}

class InMemoryCheckpointStore extends CheckpointStore {
  constructor(private readonly tables: () => Tables) {
    super();
  }

  read(generation: number, topic: string): Promise<Map<number, Checkpoint>> {
    const stored = [...(this.tables().checkpoints.get(generation)?.values() ?? [])];
    return Promise.resolve(
      new Map(
        stored
          .filter((checkpoint) => checkpoint.topic === topic)
          .map(({ partition, nextOffset, lastEventAt }) => [
            partition,
            { partition, nextOffset, lastEventAt },
          ]),
      ),
    );
  }
}

class InMemoryTransaction implements OrderViewTransaction {
  notified = false;

  constructor(
    readonly tables: Tables,
    private readonly failure: { method: keyof OrderViewTransaction; error: Error } | undefined,
  ) {}

  private call(method: keyof OrderViewTransaction): void {
    if (this.failure?.method === method) throw this.failure.error;
  }

  lockCurrentGeneration(): Promise<number> {
    this.call('lockCurrentGeneration');
    return Promise.resolve(this.tables.currentGeneration);
  }

  lockPartition(): Promise<void> {
    this.call('lockPartition');
    return Promise.resolve();
  }

  loadOrders(generation: number, orderIds: readonly string[]): Promise<BatchStart> {
    this.call('loadOrders');
    const rows = this.tables.rows.get(generation);
    const orders = new Map<string, StoredOrder>();
    for (const orderId of orderIds) {
      const row = rows?.get(orderId);
      if (row) orders.set(orderId, structuredClone(row));
    }
    const parkedOrders = new Set<string>();
    for (const event of this.tables.parked.get(generation)?.values() ?? []) {
      if (event.resolution === null && orderIds.includes(event.orderId)) {
        parkedOrders.add(event.orderId);
      }
    }
    return Promise.resolve({ orders, parkedOrders });
  }

  saveBatch(generation: number, changes: ViewChanges, checkpoint: BatchCheckpoint): Promise<void> {
    this.call('saveBatch');
    const rows = [...changes.orders];
    this.store(generation, rows, changes.history);
    const checkpoints = inGeneration(this.tables.checkpoints, generation);
    const key = `${checkpoint.topic}:${checkpoint.partition}`;
    const stored = checkpoints.get(key);
    const lastEventAt = checkpoint.lastEventAt === null ? null : new Date(checkpoint.lastEventAt);
    checkpoints.set(key, {
      topic: checkpoint.topic,
      partition: checkpoint.partition,
      // greatest(), as the SQL: a batch read again never moves a checkpoint backwards.
      nextOffset:
        stored && BigInt(stored.nextOffset) > BigInt(checkpoint.nextOffset)
          ? stored.nextOffset
          : checkpoint.nextOffset,
      lastEventAt: latest(stored?.lastEventAt ?? null, lastEventAt),
    });
    if (rows.length > 0) this.notified = true;
    return Promise.resolve();
  }

  saveOrders(generation: number, changes: ViewChanges): Promise<void> {
    this.call('saveOrders');
    this.store(generation, [...changes.orders], changes.history);
    return Promise.resolve();
  }

  notifyViewChanged(): Promise<void> {
    this.call('notifyViewChanged');
    this.notified = true;
    return Promise.resolve();
  }

  parkEvents(generation: number, events: readonly ParkedEvent[]): Promise<void> {
    this.call('parkEvents');
    const parked = inGeneration(this.tables.parked, generation);
    for (const event of events) {
      const key = `${event.topic}:${event.partition}:${event.offset}`;
      if (parked.has(key)) continue;
      parked.set(key, {
        topic: event.topic,
        partition: event.partition,
        offset: event.offset,
        orderId: event.envelope.orderId,
        version: event.envelope.version,
        eventType: event.envelope.type,
        envelope: structuredClone(event.envelope),
        reason: event.reason,
        parkedAt: new Date(),
        resolution: null,
        resolvedAt: null,
      });
    }
    return Promise.resolve();
  }

  parkedPartition(generation: number, orderId: string): Promise<number | undefined> {
    this.call('parkedPartition');
    return Promise.resolve(this.open(generation, orderId)[0]?.partition);
  }

  lockOpenParkedEvents(generation: number, orderId: string): Promise<ParkedEventRow[]> {
    this.call('lockOpenParkedEvents');
    return Promise.resolve(this.open(generation, orderId).map((event) => structuredClone(event)));
  }

  resolveParkedEvents(
    generation: number,
    resolved: readonly { event: ParkedEventRow; resolution: ParkedResolutionKind }[],
  ): Promise<void> {
    this.call('resolveParkedEvents');
    const parked = inGeneration(this.tables.parked, generation);
    for (const { event, resolution } of resolved) {
      const stored = parked.get(`${event.topic}:${event.partition}:${event.offset}`);
      if (stored) Object.assign(stored, { resolution, resolvedAt: new Date() });
    }
    return Promise.resolve();
  }

  updateParkedReason(generation: number, event: ParkedEventRow, reason: string): Promise<void> {
    this.call('updateParkedReason');
    const stored = this.tables.parked
      .get(generation)
      ?.get(`${event.topic}:${event.partition}:${event.offset}`);
    if (stored) stored.reason = reason;
    return Promise.resolve();
  }

  loadDecisions(orderIds: readonly string[]): Promise<Map<string, OperatorDecision>> {
    this.call('loadDecisions');
    const wanted = new Set(orderIds);
    return Promise.resolve(
      new Map(
        [...this.tables.decisions].filter(([key]) => wanted.has((JSON.parse(key) as [string])[0])),
      ),
    );
  }

  saveDecisions(
    decisions: readonly { envelope: OrderEventEnvelope; decision: OperatorDecision }[],
  ): Promise<void> {
    this.call('saveDecisions');
    for (const { envelope, decision } of decisions) {
      this.tables.decisions.set(decisionKeyOf(envelope), decision);
    }
    return Promise.resolve();
  }

  generationBeingBuilt(): Promise<number | undefined> {
    this.call('generationBeingBuilt');
    return Promise.resolve(this.tables.building);
  }

  /** The order's open parked events in version order, then offset order. */
  private open(generation: number, orderId: string): ParkedEventRow[] {
    return [...(this.tables.parked.get(generation)?.values() ?? [])]
      .filter((event) => event.orderId === orderId && event.resolution === null)
      .sort((a, b) => a.version - b.version || Number(BigInt(a.offset) - BigInt(b.offset)) || 0);
  }

  private store(
    generation: number,
    rows: readonly StoredOrder[],
    history: readonly OrderEventEnvelope[],
  ): void {
    // PostgreSQL's upsert refuses to touch one row twice in a statement (the whole statement fails,
    // and with it the transaction): so does this, rather than keeping the last copy.
    const orderIds = new Set<string>();
    for (const row of rows) {
      if (orderIds.has(row.view.orderId)) {
        throw new Error('ON CONFLICT DO UPDATE command cannot affect row a second time');
      }
      orderIds.add(row.view.orderId);
    }
    const stored = inGeneration(this.tables.rows, generation);
    for (const row of rows) stored.set(row.view.orderId, structuredClone(row));
    const histories = inGeneration(this.tables.history, generation);
    for (const event of history) {
      const versions = histories.get(event.orderId) ?? new Map<number, OrderEventEnvelope>();
      // ON CONFLICT DO NOTHING: a version's row, once there, is kept.
      if (!versions.has(event.version)) versions.set(event.version, structuredClone(event));
      histories.set(event.orderId, versions);
    }
  }
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() >= b.getTime() ? a : b;
}
