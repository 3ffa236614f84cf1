export type { OrderView, OrderViewStatus, ProjectionOutcome } from './order-view';
export { foldOrderView, projectOrderEvent, skipOrderEvent } from './order-view.projection';
