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
  if (errors.length > 0) {
    throw new InvalidEnvironmentError(
      errors.map((error) => describe(error, defined[error.property])),
    );
  }
  return config;
}

/** Variables whose value is a secret, or may hold one (a URL with a password). */
const SECRET_VARIABLE = /PASSWORD|TOKEN|SECRET|_KEY$|_URL$/;

/**
 * One line per variable: its name, what is wrong, and the raw value it had, unless that value
 * may be a secret (this line goes to stderr, a supervisor's log, a container's log).
 */
function describe(error: ValidationError, raw: string | undefined): string {
  const messages = Object.values(error.constraints ?? {}).map((message) =>
    message.replace(new RegExp(`^${error.property} `), ''),
  );
  const got =
    raw === undefined
      ? 'not set'
      : SECRET_VARIABLE.test(error.property)
        ? `got ${[...raw].length} characters, not shown`
        : `got ${JSON.stringify(raw)}`;
  return `${error.property}: ${messages.join('; ')} (${got})`;
}
