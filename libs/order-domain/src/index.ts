export type { CancelOrder, OrderCommand, PayOrder, PlaceOrder, ShipOrder } from './order.commands';
export { decide } from './order.decide';
export {
  InvalidOrderError,
  InvalidOrderHistoryError,
  OrderAlreadyExistsError,
  OrderDomainError,
  OrderNotCancellableError,
  OrderNotFoundError,
  OrderNotPayableError,
  OrderNotShippableError,
  PaymentAmountMismatchError,
  type OrderErrorKind,
} from './order.errors';
export type {
  OrderCancelled,
  OrderEvent,
  OrderEventType,
  OrderItem,
  OrderPaid,
  OrderPlaced,
  OrderShipped,
  ShippingAddress,
} from './order.events';
export {
  MAX_ORDER_VERSION,
  ADDRESS_LIMITS,
  COUNTRY_CODE_PATTERN,
  ORDER_ID_PATTERN,
  ORDER_LIMITS,
  MAX_ID_LENGTH,
  PRINTABLE_TEXT,
  isOrderId,
  isPrintableText,
} from './order.limits';
export {
  evolve,
  foldOrder,
  initialOrderState,
  type CancelledOrder,
  type NewOrder,
  type OrderDetails,
  type OrderState,
  type OrderStatus,
  type PaidOrder,
  type PlacedOrder,
  type ShippedOrder,
} from './order.state';
