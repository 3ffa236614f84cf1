export {
  ORDER_PATHS,
  deliveriesArbitrary,
  orderHistoriesArbitrary,
  orderHistory,
  orderHistoryArbitrary,
  type OrderPath,
} from './order-histories';
