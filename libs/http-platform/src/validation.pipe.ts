import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { ApiError } from './api-error';

/**
 * Request DTOs are checked with class-validator: unknown fields are refused rather than dropped
 * (a misspelt field must not be silently ignored), and nothing is coerced ("5" is not 5).
 */
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => {
        const problems = flatten(errors);
        return new ApiError(400, 'VALIDATION_FAILED', problems.join('; '), problems);
      },
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A JSON body of null, a number or a list would otherwise reach class-transformer as is.
    if (
      metadata.type === 'body' &&
      metadata.metatype !== undefined &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw new ApiError(400, 'VALIDATION_FAILED', 'the body must be a JSON object');
    }
    if (metadata.type === 'body') {
      const inherited = inheritedKeys(value);
      if (inherited.length > 0) {
        const problems = inherited.map((key) => `property ${key} should not exist`);
        throw new ApiError(400, 'VALIDATION_FAILED', problems.join('; '), problems);
      }
    }
    return super.transform(value, metadata);
  }
}

/**
 * Keys such as `constructor` or `toString` that shadow Object.prototype. class-validator skips
 * them when it looks for unknown fields, so whitelisting alone would silently drop them.
 */
function inheritedKeys(value: unknown, path = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const here = path ? `${path}.${key}` : key;
    const own = Array.isArray(value) || !(key in Object.prototype) ? [] : [here];
    return [...own, ...inheritedKeys(child, here)];
  });
}

function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property)
        ? `${parent ? `${parent}.` : ''}${message}`
        : `${path}: ${message}`,
    );
    return [...own, ...flatten(error.children ?? [], path)];
  });
}
