export {
  ORDER_VIEW_STATUSES,
  type OrderView,
  type OrderViewStatus,
  type ProjectionOutcome,
} from './order-view';
export { foldOrderView, projectOrderEvent, skipOrderEvent } from './order-view.projection';
export { orderHistoryEntry, type OrderHistoryEntry } from './order-history';
export {
  CURRENT_ORDER_HISTORY,
  CURRENT_ORDER_VIEW,
  READ_MODEL_MIGRATIONS_DIR,
  VIEW_CHANGED_CHANNEL,
} from './read-model';
