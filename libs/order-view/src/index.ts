export type { OrderView, OrderViewStatus, ProjectionOutcome } from './order-view';
export { foldOrderView, projectOrderEvent, skipOrderEvent } from './order-view.projection';
export { orderHistoryEntry, type OrderHistoryEntry } from './order-history';
