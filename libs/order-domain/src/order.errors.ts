import type { OrderStatus } from './order.state';

/**
 * What kind of refusal an error is. The HTTP edge maps it (not_found → 404, conflict → 409,
 * unprocessable → 422, invalid → 400), so the domain never has to know about HTTP.
 */
export type OrderErrorKind = 'not_found' | 'conflict' | 'unprocessable' | 'invalid';

/** A command the order domain refused; `code` is stable and goes out in error bodies. */
export abstract class OrderDomainError extends Error {
  abstract readonly code: string;
  abstract readonly kind: OrderErrorKind;
}

export class OrderNotFoundError extends OrderDomainError {
  readonly code = 'ORDER_NOT_FOUND';
  readonly kind = 'not_found';
  constructor(readonly orderId: string) {
    super(`Order ${orderId} does not exist`);
    this.name = 'OrderNotFoundError';
  }
}

export class OrderAlreadyExistsError extends OrderDomainError {
  readonly code = 'ORDER_ALREADY_EXISTS';
  readonly kind = 'conflict';
  constructor(readonly orderId: string) {
    super(`Order ${orderId} cannot be placed: it already exists`);
    this.name = 'OrderAlreadyExistsError';
  }
}

export class PaymentAmountMismatchError extends OrderDomainError {
  readonly code = 'PAYMENT_AMOUNT_MISMATCH';
  readonly kind = 'unprocessable';
  constructor(
    readonly orderId: string,
    readonly expected: number,
    readonly received: number,
    readonly currency: string,
  ) {
    super(
      `Order ${orderId} cannot be paid with ${received} ${currency}: the total is ${expected} ${currency}`,
    );
    this.name = 'PaymentAmountMismatchError';
  }
}

/** A command the order's current status does not allow: `status` is where the order is now. */
abstract class OrderTransitionRefusedError extends OrderDomainError {
  readonly kind = 'conflict';
  constructor(
    readonly orderId: string,
    readonly status: OrderStatus,
    action: string,
    allowedFrom: string,
  ) {
    super(
      `Order ${orderId} cannot be ${action}: it is ${status}, only a ${allowedFrom} order can be ${action}`,
    );
    this.name = new.target.name;
  }
}

export class OrderNotPayableError extends OrderTransitionRefusedError {
  readonly code = 'ORDER_NOT_PAYABLE';
  constructor(orderId: string, status: OrderStatus) {
    super(orderId, status, 'paid', 'PLACED');
  }
}

export class OrderNotShippableError extends OrderTransitionRefusedError {
  readonly code = 'ORDER_NOT_SHIPPABLE';
  constructor(orderId: string, status: OrderStatus) {
    super(orderId, status, 'shipped', 'PAID');
  }
}

export class OrderNotCancellableError extends OrderTransitionRefusedError {
  readonly code = 'ORDER_NOT_CANCELLABLE';
  constructor(orderId: string, status: OrderStatus) {
    super(orderId, status, 'cancelled', 'PLACED or PAID');
  }
}

/** An order that breaks an invariant of the domain; `field` names the offending input. */
export class InvalidOrderError extends OrderDomainError {
  readonly code = 'INVALID_ORDER';
  readonly kind = 'invalid';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`Invalid order: ${field} ${problem}`);
    this.name = 'InvalidOrderError';
  }
}

/**
 * A stored history that no sequence of accepted commands could have produced. Deliberately not
 * an OrderDomainError: no request caused it, so it must surface as a server fault rather than be
 * mapped to a 4xx, and the order stays untouched until someone repairs the stream.
 */
export class InvalidOrderHistoryError extends Error {
  readonly code = 'INVALID_ORDER_HISTORY';
  constructor(
    readonly eventType: string,
    readonly status: OrderStatus,
    problem = `cannot be applied to a ${status} order`,
  ) {
    super(`Invalid order history: ${eventType} ${problem}`);
    this.name = 'InvalidOrderHistoryError';
  }
}
