export { OrderEventsTopicEnv, orderEventTopics, type OrderEventTopics } from './order-events-topic';
