export {
  ORDER_EVENT_HEADERS,
  ORDER_EVENT_SCHEMA_VERSION,
  UndecodableOrderEventError,
  decodeOrderEventEnvelope,
  decodeOrderEventRecord,
  isKnownOrderEventType,
  orderEventHeaders,
  toOrderEventRecord,
  type OrderEventEnvelope,
  type OrderEventMetadata,
} from './order-event-envelope';
export { OrderEventsTopicEnv, orderEventTopics, type OrderEventTopics } from './order-events-topic';
