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
export {
  ORDER_BY_ID_SQL,
  ORDER_HISTORY_PAGE_SQL,
  ORDER_VERSIONS_SQL,
  orderListQuery,
  type OrderListFilter,
  type OrderListPosition,
} from './read-model.queries';
export { READ_MODEL_MIGRATIONS, migrateReadDatabase, readDatabaseOptions } from './read-database';
export {
  CurrentOrderHistoryEntity,
  CurrentOrderViewEntity,
  OrderHistoryEntity,
  OrderViewEntity,
  OrderViewReplayEntity,
  OrderViewStateEntity,
  ParkedEventDecisionEntity,
  ParkedEventEntity,
  ProjectionCheckpointEntity,
  READ_MODEL_ENTITIES,
} from './read-model.entities';
