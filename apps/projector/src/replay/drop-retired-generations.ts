import type { Logger } from '@nestjs/common';
import type { OrderViewRepository } from '../persistence/order-view.repository';

/**
 * Drops the generations that neither serve reads nor are being built, and logs which. Best
 * effort: a drop that cannot get its lock in time is logged and tried again at the next boot or
 * replay end; it never fails its caller (the projector's boot, a replay's end).
 */
export async function dropRetiredGenerations(
  view: OrderViewRepository,
  logger: Logger,
): Promise<void> {
  try {
    const dropped = await view.deleteRetiredGenerations();
    if (dropped.length > 0) logger.log(`dropped retired generations ${dropped.join(', ')}`);
  } catch (error) {
    logger.warn(
      `dropping retired generations (next boot or replay end): ${(error as Error).message}`,
    );
  }
}
