import { Injectable } from '@nestjs/common';
import { ApiError } from '@app/http-platform';
import { VersionWaiters, type WaitRefusal } from '../read-your-writes/version-waiters';
import { decodeHistoryCursor, encodeHistoryCursor } from './history-cursor';
import { decodeCursor, encodeCursor } from './order-cursor';
import {
  DEFAULT_PAGE_SIZE,
  DEFAULT_WAIT_MS,
  type GetOrderParams,
  type ListOrdersParams,
  type OrderHistoryParams,
} from './order-query-params';
import { OrderViewReader, type OrderViewRow } from './order-view.reader';
import type { OrderHistoryPage, OrderPage } from './order-view.responses';

export type OrderLookup =
  | { readonly kind: 'found'; readonly row: OrderViewRow }
  | { readonly kind: 'not_found' }
  | {
      /** minVersion was not reached in time. */
      readonly kind: 'behind';
      readonly currentVersion: number;
      readonly reason: WaitRefusal['reason'] | 'regressed';
    };

@Injectable()
export class OrderQueryHandler {
  constructor(
    private readonly reader: OrderViewReader,
    private readonly waiters: VersionWaiters,
  ) {}

  /**
   * The order as the view has it; with minVersion, once the view has reached that version.
   * An order not in the view yet is waited for too: the projector may simply not have seen it.
   */
  async get(orderId: string, params: GetOrderParams, signal?: AbortSignal): Promise<OrderLookup> {
    const { minVersion, waitMs } = params;
    if (minVersion === undefined) {
      if (waitMs !== undefined) {
        throw new ApiError(400, 'VALIDATION_FAILED', 'waitMs is only allowed with minVersion');
      }
      const row = await this.reader.find(orderId);
      return row ? { kind: 'found', row } : { kind: 'not_found' };
    }
    const since = this.waiters.changeMark();
    const row = await this.reader.find(orderId);
    if (row && row.version >= minVersion) return { kind: 'found', row };
    const outcome = await this.waiters.wait({
      orderId,
      minVersion,
      timeoutMs: waitMs ?? DEFAULT_WAIT_MS,
      currentVersion: row?.version ?? 0,
      since,
      signal,
    });
    if (!outcome.reached) {
      return { kind: 'behind', currentVersion: outcome.currentVersion, reason: outcome.reason };
    }
    // The waiters know versions only; the document is read once the version is there.
    const fresh = await this.reader.find(orderId);
    if (fresh && fresh.version >= minVersion) return { kind: 'found', row: fresh };
    // Only if a replay switched to a generation behind the old one in between.
    return { kind: 'behind', currentVersion: fresh?.version ?? 0, reason: 'regressed' };
  }

  /** A page of the order's history; undefined when the order is not in the view. */
  async history(
    orderId: string,
    params: OrderHistoryParams,
  ): Promise<OrderHistoryPage | undefined> {
    const after = params.cursor === undefined ? 0 : decodeHistoryCursor(params.cursor);
    const slice = await this.reader.history(orderId, after, params.limit ?? DEFAULT_PAGE_SIZE);
    if (!slice) return undefined;
    const last = slice.entries.at(-1);
    return {
      items: slice.entries,
      nextCursor: slice.more && last ? encodeHistoryCursor(last.version) : null,
    };
  }

  async list(params: ListOrdersParams): Promise<OrderPage> {
    const after = params.cursor === undefined ? undefined : decodeCursor(params.cursor);
    const slice = await this.reader.list(
      { status: params.status, customerId: params.customerId },
      after,
      params.limit ?? DEFAULT_PAGE_SIZE,
    );
    return { items: slice.documents, nextCursor: slice.next ? encodeCursor(slice.next) : null };
  }
}
