import type { ClassConstructor } from 'class-transformer';
import { InvalidEnvironmentError, validateEnv } from './validate-env';

type Schemas = Record<string, ClassConstructor<object>>;
type Loaded<S extends Schemas> = { [K in keyof S]: InstanceType<S[K]> };

/**
 * Validates every concern of an app's environment at once, so that a bad environment is
 * reported whole (one line per problem) rather than one concern at a time.
 */
export function loadConfig<S extends Schemas>(
  schemas: S,
  env: Record<string, string | undefined> = process.env,
): Loaded<S> {
  const problems: string[] = [];
  const loaded: Partial<Record<keyof S, object>> = {};
  for (const [concern, schema] of Object.entries(schemas)) {
    try {
      loaded[concern as keyof S] = validateEnv(schema, env);
    } catch (error) {
      if (!(error instanceof InvalidEnvironmentError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new InvalidEnvironmentError([...new Set(problems)]);
  return loaded as Loaded<S>;
}
