export {
  ORDER_EVENT_HEADERS,
  UndecodableOrderEventError,
  decodeOrderEventEnvelope,
  decodeOrderEventRecord,
  orderEventHeaders,
  toOrderEventRecord,
  type OrderEventEnvelope,
  type OrderEventMetadata,
  type RecordedOrderEvent,
} from './order-event-envelope';
export { OrderEventsTopicEnv, orderEventTopics, type OrderEventTopics } from './order-events-topic';
export {
  ORDER_EVENT_VERSIONS,
  isKnownOrderEventType,
  latestSchemaVersion,
  type JsonSchema,
  type OrderEventVersion,
} from './schemas/order-event-versions';
export { upcastOrderEvent, type OrderEventReading } from './schemas/upcast-order-event';
export { timeOrderedUuid } from './time-ordered-uuid';
