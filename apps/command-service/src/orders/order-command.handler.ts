import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  decide,
  evolve,
  foldOrder,
  OrderDomainError,
  type OrderCommand,
  type OrderState,
  type OrderStatus,
} from '@app/order-domain';
import { inSpan } from '@app/tracing';
import { IdempotencyKeyReusedError } from './idempotency-keys';
import {
  OrderEventStore,
  StreamVersionConflictError,
  type OrderStoreTransaction,
} from './order-event-store';

export interface CommandContext {
  readonly correlationId: string;
  /** From the Idempotency-Key header, with the fingerprint of the request that carried it. */
  readonly idempotency?: { readonly key: string; readonly fingerprint: string };
  /** From If-Match: the version the caller's decision was based on. */
  readonly expectedVersion?: number;
}

/** What a command answers; `version` is the caller's token for read-your-writes and If-Match. */
export interface OrderCommandResult {
  readonly orderId: string;
  readonly version: number;
  readonly status: OrderStatus;
  /** Only when the order is placed. */
  readonly total?: number;
}

/** If-Match named a version the order is no longer at. */
export class OrderVersionMismatchError extends Error {
  constructor(
    readonly orderId: string,
    readonly expectedVersion: number,
    readonly currentVersion?: number,
  ) {
    super(
      currentVersion === undefined
        ? `Order ${orderId} moved past version ${expectedVersion}`
        : `Order ${orderId} is at version ${currentVersion}, not ${expectedVersion}`,
    );
    this.name = 'OrderVersionMismatchError';
  }
}

/**
 * A writer that lost a race re-decides on the fresh history, so a command that is still valid
 * (or refused for a real reason) gets that answer instead of a conflict. Bounded, because under
 * sustained contention someone has to give up.
 */
export const MAX_ATTEMPTS = 5;

/** Load the order's events → decide → append, in one transaction per attempt. */
@Injectable()
export class OrderCommandHandler {
  constructor(private readonly store: OrderEventStore) {}

  execute(command: OrderCommand, context: CommandContext): Promise<OrderCommandResult> {
    const attributes = { 'order.id': command.orderId, 'order.command': command.type };
    return inSpan(command.type, { attributes, isRefusal }, () =>
      this.executeWithRetries(command, context),
    );
  }

  private async executeWithRetries(
    command: OrderCommand,
    context: CommandContext,
  ): Promise<OrderCommandResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store.transaction((tx) => this.decideAndAppend(tx, command, context));
      } catch (error) {
        if (!(error instanceof StreamVersionConflictError)) throw error;
        // With If-Match the caller asked for this exact version, which is now gone.
        if (context.expectedVersion !== undefined) {
          throw new OrderVersionMismatchError(command.orderId, context.expectedVersion);
        }
        if (attempt === MAX_ATTEMPTS) throw error;
      }
    }
  }

  private async decideAndAppend(
    tx: OrderStoreTransaction,
    command: OrderCommand,
    context: CommandContext,
  ): Promise<OrderCommandResult> {
    const { idempotency } = context;
    if (idempotency) {
      const claim = await tx.claimIdempotencyKey<OrderCommandResult>(
        idempotency.key,
        idempotency.fingerprint,
      );
      if (claim.kind === 'replay') return claim.response;
    }
    // A place command carries a fresh id, so its history is known to be empty.
    const history = command.type === 'PlaceOrder' ? [] : await tx.readStream(command.orderId);
    const state = foldOrder(history);
    const version = history.length;
    if (
      context.expectedVersion !== undefined &&
      state.status !== 'NEW' &&
      context.expectedVersion !== version
    ) {
      throw new OrderVersionMismatchError(command.orderId, context.expectedVersion, version);
    }
    const events = decide(command, state);
    await tx.append(command.orderId, version, events, {
      correlationId: context.correlationId,
      causationId: randomUUID(),
    });
    const result = resultOf(command.orderId, version + events.length, events.reduce(evolve, state));
    if (idempotency) await tx.recordResponse(idempotency.key, result);
    return result;
  }
}

/** What the handler answers with a 4xx: the command refused, not the service failing. */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof OrderDomainError ||
    error instanceof OrderVersionMismatchError ||
    error instanceof IdempotencyKeyReusedError
  );
}

function resultOf(orderId: string, version: number, state: OrderState): OrderCommandResult {
  const result = { orderId, version, status: state.status };
  return state.status === 'PLACED' ? { ...result, total: state.total } : result;
}
