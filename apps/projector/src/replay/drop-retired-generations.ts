import type { Logger } from '@nestjs/common';
import type { OrderViewRepository } from '../persistence/order-view.repository';

/**
 * Drops the generations that neither serve reads nor are being built, and logs which. Best
 * effort: a drop that cannot get its lock in time (readers or writers held the tables for its
 * whole lock timeout) is logged and returns false, for OrderViewReplays to try again later; it
 * never fails its caller (the projector's boot, a replay's end or cancel, the watcher).
 */
export async function dropRetiredGenerations(
  view: OrderViewRepository,
  logger: Logger,
): Promise<boolean> {
  try {
    const dropped = await view.deleteRetiredGenerations();
    if (dropped.length > 0) logger.log(`dropped retired generations ${dropped.join(', ')}`);
    return true;
  } catch (error) {
    logger.warn(`dropping retired generations (tried again later): ${(error as Error).message}`);
    return false;
  }
}
