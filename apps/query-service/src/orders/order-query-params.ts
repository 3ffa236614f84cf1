import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { ApiError } from '@app/http-platform';
import { MAX_ID_LENGTH, MAX_ORDER_VERSION as MAX_VERSION, PRINTABLE_TEXT } from '@app/order-domain';
import { ORDER_VIEW_STATUSES as ORDER_STATUSES, type OrderViewStatus } from '@app/order-view';
export const DEFAULT_WAIT_MS = 3_000;
export const MAX_WAIT_MS = 10_000;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/**
 * Query values arrive as text and the validation pipe converts nothing, so integers are parsed
 * here, strictly: `5` is 5, while `5.0`, `1e3`, ` 5` or `0x5` stay text and fail @IsInt.
 */
const IntegerParam = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d{1,10}$/.test(value) ? Number(value) : value,
  );

/**
 * Refuses parameters the endpoint does not know, named as the raw URL has them. The validation
 * pipe refuses most, but not those named like Object.prototype members: class-validator skips
 * `toString`, and Nest deletes `constructor` and `__proto__` from the parsed query beforehand.
 */
export function refuseUnknownParams(url: string, known: readonly string[]): void {
  const query = url.indexOf('?');
  const names = query === -1 ? [] : [...new URLSearchParams(url.slice(query + 1)).keys()];
  const problems = [...new Set(names)]
    .filter((name) => !known.includes(name))
    .map((name) => `property ${name} should not exist`);
  if (problems.length > 0) {
    throw new ApiError(400, 'VALIDATION_FAILED', problems.join('; '), problems);
  }
}

export const GET_ORDER_PARAMS = ['minVersion', 'waitMs'] as const;

export class GetOrderParams {
  @IsOptional()
  @IntegerParam()
  @IsInt()
  @Min(1)
  @Max(MAX_VERSION)
  @ApiPropertyOptional({
    description:
      'Read-your-writes: the version a command returned. Waits until the view reaches it, else 503.',
    minimum: 1,
    maximum: MAX_VERSION,
    example: 2,
  })
  minVersion?: number;

  @IsOptional()
  @IntegerParam()
  @IsInt()
  @Min(0)
  @Max(MAX_WAIT_MS)
  @ApiPropertyOptional({
    description: 'How long to wait for minVersion, in milliseconds (only with minVersion)',
    minimum: 0,
    maximum: MAX_WAIT_MS,
    default: DEFAULT_WAIT_MS,
  })
  waitMs?: number;
}

export const LIST_ORDERS_PARAMS = ['status', 'customerId', 'limit', 'cursor'] as const;

export class ListOrdersParams {
  @IsOptional()
  @IsIn(ORDER_STATUSES)
  @ApiPropertyOptional({ enum: ORDER_STATUSES })
  status?: OrderViewStatus;

  @IsOptional()
  @IsString()
  @Length(1, MAX_ID_LENGTH)
  @Matches(PRINTABLE_TEXT, { message: 'customerId must be printable text (no control characters)' })
  @ApiPropertyOptional({ minLength: 1, maxLength: MAX_ID_LENGTH, example: 'customer-7' })
  customerId?: string;

  @IsOptional()
  @IntegerParam()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  limit?: number;

  @IsOptional()
  @IsString()
  @ApiPropertyOptional({ description: 'nextCursor of the previous page; absent for the first' })
  cursor?: string;
}

export const ORDER_HISTORY_PARAMS = ['limit', 'cursor'] as const;

export class OrderHistoryParams {
  @IsOptional()
  @IntegerParam()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  limit?: number;

  @IsOptional()
  @IsString()
  @ApiPropertyOptional({
    description:
      'nextCursor of the previous page (the version of its last entry); absent for the first',
    example: '2',
  })
  cursor?: string;
}
