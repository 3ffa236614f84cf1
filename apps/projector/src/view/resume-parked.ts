import type { OrderEventEnvelope } from '@app/order-events';
import { projectOrderEvent, skipOrderEvent } from '@app/order-view';
import { storedAfter, type StoredOrder } from './project-batch';

export type ParkedResolutionKind = 'applied' | 'skipped' | 'duplicate';

/** What an operator decided for a parked event; kept across generations (see decisionKey). */
export type OperatorDecision = 'skip' | 'retry';

export interface ResumedOrder<E> {
  /** The row afterwards; undefined while the order has none (its OrderPlaced is parked). */
  stored: StoredOrder | undefined;
  resolved: { event: E; resolution: ParkedResolutionKind }[];
  /** The events applied, in version order, as read: the order's history rows (none skipped). */
  history: OrderEventEnvelope[];
  /** The first event that still cannot apply, and why: it and those after it stay parked. */
  blocked?: { event: E; reason: string };
  stillParked: number;
}

/**
 * Resolves an order's parked events, in version order, as far as they go: those `skip` picks
 * are set aside (the version counts as seen, the content is dropped), the others applied. Pure:
 * the caller loads and stores in one transaction.
 */
export function resumeParked<E extends { envelope: OrderEventEnvelope }>(
  stored: StoredOrder | undefined,
  parked: readonly E[],
  skip: (event: E, index: number) => boolean,
): ResumedOrder<E> {
  let current = stored;
  const resolved: ResumedOrder<E>['resolved'] = [];
  const history: OrderEventEnvelope[] = [];
  for (const [index, event] of parked.entries()) {
    if (skip(event, index)) {
      if (current) {
        const view = skipOrderEvent(current.view, event.envelope);
        current = storedAfter(current, event.envelope, view, { applied: false });
      }
      resolved.push({ event, resolution: 'skipped' });
      continue;
    }
    const outcome = projectOrderEvent(current?.view, event.envelope);
    if (outcome.kind === 'unapplicable') {
      const blocked = { event, reason: outcome.reason };
      return { stored: current, resolved, history, blocked, stillParked: parked.length - index };
    }
    if (outcome.kind === 'applied') {
      current = storedAfter(current, event.envelope, outcome.view, { applied: true });
      history.push(outcome.event);
    }
    resolved.push({ event, resolution: outcome.kind });
  }
  return { stored: current, resolved, history, stillParked: 0 };
}

/** The decision an operator's resolution stands for: a skip, or a retry that got the event in. */
export function decisionOf(resolution: ParkedResolutionKind): OperatorDecision {
  return resolution === 'skipped' ? 'skip' : 'retry';
}

/**
 * Decisions are kept per event, by id as well as order and version: the same event read again
 * (a replay, a repeat of the relay) is the same decision; another event of that version is not.
 */
export function decisionKey(orderId: string, version: number, eventId: string): string {
  return JSON.stringify([orderId, version, eventId]);
}

export function decisionKeyOf(envelope: OrderEventEnvelope): string {
  return decisionKey(envelope.orderId, envelope.version, envelope.eventId);
}
