import 'reflect-metadata';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/** Thrown at boot when the environment is invalid; one line per problem. */
export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/**
 * Turns raw environment variables into a typed, validated config object. Properties of the
 * class are named after the variables; defaults are the class's initialisers; numbers and
 * booleans are converted with class-transformer's implicit conversion.
 */
export function validateEnv<T extends object>(
  schema: ClassConstructor<T>,
  env: Record<string, string | undefined>,
): T {
  const defined = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const config = plainToInstance(schema, defined, {
    enableImplicitConversion: true,
    exposeDefaultValues: true,
  });
  const errors = validateSync(config, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) throw new InvalidEnvironmentError(errors.flatMap(describe));
  return config;
}

function describe(error: ValidationError): string[] {
  const own = Object.values(error.constraints ?? {}).map(
    (message) => `${error.property}: ${message} (got ${JSON.stringify(error.value)})`,
  );
  return [...own, ...(error.children ?? []).flatMap(describe)];
}
