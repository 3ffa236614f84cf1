import type { CancelOrder, OrderCommand, PayOrder, PlaceOrder, ShipOrder } from './order.commands';
import {
  InvalidOrderError,
  OrderAlreadyExistsError,
  OrderNotCancellableError,
  OrderNotFoundError,
  OrderNotPayableError,
  OrderNotShippableError,
  PaymentAmountMismatchError,
} from './order.errors';
import type {
  OrderCancelled,
  OrderEvent,
  OrderItem,
  OrderPaid,
  OrderPlaced,
  OrderShipped,
  ShippingAddress,
} from './order.events';
import {
  ADDRESS_LIMITS,
  COUNTRY_CODE_PATTERN,
  MAX_ID_LENGTH,
  ORDER_LIMITS,
  isPrintableText,
} from './order.limits';
import type { OrderState } from './order.state';

/**
 * The events a command produces on an order in the given state. A refused command throws an
 * OrderDomainError and produces nothing.
 */
export function decide(command: OrderCommand, state: OrderState): OrderEvent[] {
  switch (command.type) {
    case 'PlaceOrder':
      return [place(command, state)];
    case 'PayOrder':
      return [pay(command, state)];
    case 'ShipOrder':
      return [ship(command, state)];
    case 'CancelOrder':
      return [cancel(command, state)];
    default: {
      const unknown: never = command;
      throw new Error(`Unknown order command: ${JSON.stringify(unknown)}`);
    }
  }
}

function place(command: PlaceOrder, state: OrderState): OrderPlaced {
  // Invalid input is refused whatever the order's state, as the HTTP layer would refuse it.
  requirePrintable('customerId', command.customerId, MAX_ID_LENGTH);
  if (typeof command.currency !== 'string' || !/^[A-Z]{3}$/.test(command.currency)) {
    throw new InvalidOrderError(
      'currency',
      `must be an ISO 4217 code of 3 uppercase letters, got ${show(command.currency)}`,
    );
  }
  const items = validItems(command.items);
  const shippingAddress =
    command.shippingAddress === undefined ? undefined : validAddress(command.shippingAddress);
  if (state.status !== 'NEW') throw new OrderAlreadyExistsError(command.orderId);
  const data = {
    customerId: command.customerId,
    currency: command.currency,
    items,
    total: orderTotal(items),
  };
  return {
    type: 'OrderPlaced',
    data: shippingAddress === undefined ? data : { ...data, shippingAddress },
    occurredAt: command.now.toISOString(),
  };
}

function pay(command: PayOrder, state: OrderState): OrderPaid {
  if (state.status === 'NEW') throw new OrderNotFoundError(command.orderId);
  if (state.status !== 'PLACED') throw new OrderNotPayableError(command.orderId, state.status);
  if (command.amount !== state.total) {
    throw new PaymentAmountMismatchError(
      command.orderId,
      state.total,
      command.amount,
      state.currency,
    );
  }
  return {
    type: 'OrderPaid',
    data: { amount: command.amount, paymentReference: command.paymentReference },
    occurredAt: command.now.toISOString(),
  };
}

function ship(command: ShipOrder, state: OrderState): OrderShipped {
  if (state.status === 'NEW') throw new OrderNotFoundError(command.orderId);
  if (state.status !== 'PAID') throw new OrderNotShippableError(command.orderId, state.status);
  return {
    type: 'OrderShipped',
    data: { carrier: command.carrier, trackingNumber: command.trackingNumber },
    occurredAt: command.now.toISOString(),
  };
}

function cancel(command: CancelOrder, state: OrderState): OrderCancelled {
  if (state.status === 'NEW') throw new OrderNotFoundError(command.orderId);
  if (state.status !== 'PLACED' && state.status !== 'PAID') {
    throw new OrderNotCancellableError(command.orderId, state.status);
  }
  return {
    type: 'OrderCancelled',
    data: { reason: command.reason },
    occurredAt: command.now.toISOString(),
  };
}

/**
 * Checks every line and copies it, so the event holds exactly sku, quantity and unitPrice. Takes
 * `unknown` because callers outside TypeScript's reach can send anything.
 */
function validItems(items: unknown): OrderItem[] {
  const { minItems, maxItems } = ORDER_LIMITS;
  if (!Array.isArray(items)) {
    throw new InvalidOrderError('items', `must be a list of ${minItems} to ${maxItems} items`);
  }
  const lines: unknown[] = items;
  if (lines.length < minItems || lines.length > maxItems) {
    throw new InvalidOrderError(
      'items',
      `must hold ${minItems} to ${maxItems} items, got ${lines.length}`,
    );
  }
  return lines.map((line, index) => {
    const field = `items[${index}]`;
    if (typeof line !== 'object' || line === null) {
      throw new InvalidOrderError(field, `must be an object, got ${show(line)}`);
    }
    const { sku, quantity, unitPrice } = line as Partial<Record<keyof OrderItem, unknown>>;
    requirePrintable(`${field}.sku`, sku, MAX_ID_LENGTH);
    requireInteger(
      `${field}.quantity`,
      quantity,
      ORDER_LIMITS.minQuantity,
      ORDER_LIMITS.maxQuantity,
    );
    requireInteger(
      `${field}.unitPrice`,
      unitPrice,
      ORDER_LIMITS.minUnitPrice,
      ORDER_LIMITS.maxUnitPrice,
    );
    return { sku, quantity, unitPrice };
  });
}

/** Checks the address and copies its known fields, so the event holds exactly those. */
function validAddress(address: unknown): ShippingAddress {
  const field = 'shippingAddress';
  if (typeof address !== 'object' || address === null || Array.isArray(address)) {
    throw new InvalidOrderError(field, `must be an object, got ${show(address)}`);
  }
  const { recipient, line1, line2, postalCode, city, country } = address as Partial<
    Record<keyof ShippingAddress, unknown>
  >;
  const { maxLineLength, maxCityLength, maxPostalCodeLength } = ADDRESS_LIMITS;
  requirePrintable(`${field}.recipient`, recipient, maxLineLength);
  requirePrintable(`${field}.line1`, line1, maxLineLength);
  if (line2 !== undefined) requirePrintable(`${field}.line2`, line2, maxLineLength);
  requirePrintable(`${field}.postalCode`, postalCode, maxPostalCodeLength);
  requirePrintable(`${field}.city`, city, maxCityLength);
  if (typeof country !== 'string' || !COUNTRY_CODE_PATTERN.test(country)) {
    throw new InvalidOrderError(
      `${field}.country`,
      `must be an ISO 3166-1 alpha-2 code of 2 uppercase letters, got ${show(country)}`,
    );
  }
  const valid = { recipient, line1, postalCode, city, country };
  return line2 === undefined ? valid : { ...valid, line2 };
}

/**
 * Σ quantity × unitPrice in minor units. Past Number.MAX_SAFE_INTEGER integers lose precision
 * silently, so such a total is refused rather than stored wrong.
 */
export function orderTotal(items: readonly OrderItem[]): number {
  // The terms are never negative, so once the sum leaves the safe range it cannot come back.
  const total = items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
  if (!Number.isSafeInteger(total)) {
    throw new InvalidOrderError(
      'total',
      `must be an integer of at most ${Number.MAX_SAFE_INTEGER} minor units, got ${total}`,
    );
  }
  return total;
}

function requirePrintable(
  field: string,
  value: unknown,
  maxLength: number,
): asserts value is string {
  if (!isPrintableText(value, maxLength)) {
    throw new InvalidOrderError(
      field,
      `must be 1 to ${maxLength} printable characters, got ${show(value)}`,
    );
  }
}

function requireInteger(
  field: string,
  value: unknown,
  min: number,
  max: number,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOrderError(
      field,
      `must be an integer from ${min} to ${max}, got ${show(value)}`,
    );
  }
}

/** The refused value for a message, kept short because messages go out in error bodies. */
function show(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
