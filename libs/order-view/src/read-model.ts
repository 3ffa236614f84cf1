import { join } from 'node:path';

/**
 * The read database's contract, shared by the projector that writes it and the query-service
 * that reads it, which meet only here: its migrations, the views that show the generation
 * serving reads, and the channel a batch notifies when it changed them.
 */
export const READ_MODEL_MIGRATIONS_DIR = join(__dirname, '../migrations');

/** The order view's rows of the generation serving reads (`order_id`, `version`, `document`). */
export const CURRENT_ORDER_VIEW = 'current_order_view';

/** Each order's history entries of the generation serving reads (`order_id`, `version`, `entry`). */
export const CURRENT_ORDER_HISTORY = 'current_order_history';

/** NOTIFY'd in the transaction of every batch that changed the view (payload empty). */
export const VIEW_CHANGED_CHANNEL = 'order_view_changed';
