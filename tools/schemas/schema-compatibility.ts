/**
 * Whether a changed JSON Schema still accepts every document the published one accepted, i.e.
 * whether events already written under a version can be read under its changed schema. For the
 * keywords the event schemas use; any other keyword that changes is reported, since the checker
 * cannot prove such a change safe. Assumes writers wrote only declared fields, so declaring a
 * new optional field is compatible.
 */

import Ajv2020 from 'ajv/dist/2020';

type Schema = { readonly [keyword: string]: unknown };

/** Keywords that only document: changing them changes no document's validity. */
const ANNOTATIONS = new Set(['$schema', '$comment', 'title', 'description', 'examples']);

/** Keywords compared below; any other keyword that differs is reported as uncheckable. */
const COMPARED = new Set([
  'type',
  'enum',
  'const',
  'default',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minItems',
  'maxItems',
  'uniqueItems',
  'items',
  'properties',
  'required',
  'additionalProperties',
]);

/** One problem per line: `field <path>: <what changed>`. An empty list means compatible. */
export function breakingChanges(published: Schema, current: Schema): string[] {
  return compare(published, current, '');
}

function compare(before: Schema, after: Schema, path: string): string[] {
  const at = (problem: string) => `field ${path === '' ? '(data)' : path}: ${problem}`;
  const problems: string[] = [];

  const typesBefore = typesOf(before);
  const typesAfter = typesOf(after);
  const lost = [...typesBefore].filter(
    (type) => !typesAfter.has(type) && !(type === 'integer' && typesAfter.has('number')),
  );
  if (lost.length > 0 || (typesAfter.size > 0 && typesBefore.size === 0)) {
    problems.push(
      at(`type narrowed from ${describeTypes(typesBefore)} to ${describeTypes(typesAfter)}`),
    );
  }

  if (after.enum !== undefined) {
    if (!Array.isArray(before.enum)) problems.push(at('now restricted to an enum'));
    else {
      const allowed = (after.enum as unknown[]).map((value) => JSON.stringify(value));
      for (const value of before.enum as unknown[]) {
        if (!allowed.includes(JSON.stringify(value))) {
          problems.push(at(`enum value ${JSON.stringify(value)} removed`));
        }
      }
    }
  }
  if (after.const !== undefined && !sameJson(after.const, before.const)) {
    problems.push(at('now restricted to a constant'));
  }
  if (!sameJson(before.default, after.default)) {
    // Readers fill defaults in: a default added to a field old events omit gives them a value
    // they never had (one the rest of the schema may refuse); a changed one another value.
    const change =
      before.default === undefined ? 'added' : after.default === undefined ? 'removed' : 'changed';
    problems.push(at(`default ${change}: old events without the field would read differently`));
  }

  // Lower bounds must not rise, upper bounds must not fall, and none may appear.
  const bound = (keyword: string, moved: string) =>
    before[keyword] === undefined
      ? `${keyword} added: ${show(after[keyword])}`
      : `${keyword} ${moved} from ${show(before[keyword])} to ${show(after[keyword])}`;
  for (const keyword of ['minimum', 'exclusiveMinimum', 'minLength', 'minItems']) {
    if (narrowed(before[keyword], after[keyword], (b, a) => a > b)) {
      problems.push(at(bound(keyword, 'raised')));
    }
  }
  for (const keyword of ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems']) {
    if (narrowed(before[keyword], after[keyword], (b, a) => a < b)) {
      problems.push(at(bound(keyword, 'lowered')));
    }
  }
  for (const keyword of ['pattern', 'format', 'multipleOf']) {
    if (after[keyword] !== undefined && !sameJson(before[keyword], after[keyword])) {
      problems.push(
        at(
          `${keyword} ${before[keyword] === undefined ? 'added' : 'changed'}: ${show(after[keyword])}`,
        ),
      );
    }
  }
  if (after.uniqueItems === true && before.uniqueItems !== true) {
    problems.push(at('uniqueItems added'));
  }

  if (isSchema(before.items) || isSchema(after.items)) {
    problems.push(...compare(schemaOr(before.items), schemaOr(after.items), `${path}[]`));
  }

  const propertiesBefore = schemaOr(before.properties);
  const propertiesAfter = schemaOr(after.properties);
  for (const [name, property] of Object.entries(propertiesBefore)) {
    const child = path === '' ? name : `${path}.${name}`;
    const kept = propertiesAfter[name];
    if (kept === undefined) problems.push(`field ${child}: removed`);
    else problems.push(...compare(property as Schema, kept as Schema, child));
  }
  const requiredBefore = new Set(asStrings(before.required));
  for (const name of asStrings(after.required)) {
    const property = propertiesAfter[name] as Schema | undefined;
    if (requiredBefore.has(name)) continue;
    const field = path === '' ? name : `${path}.${name}`;
    if (property?.default === undefined) {
      problems.push(`field ${field}: new required field without default`);
    } else if (!defaultFitsItsField(property)) {
      problems.push(`field ${field}: new required field whose default its own schema refuses`);
    }
  }
  if (additionalNarrowed(before.additionalProperties, after.additionalProperties)) {
    problems.push(at('additional fields no longer allowed'));
  }

  const keywords = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const keyword of keywords) {
    if (ANNOTATIONS.has(keyword) || COMPARED.has(keyword)) continue;
    if (!sameJson(before[keyword], after[keyword])) {
      problems.push(at(`${keyword} changed, which this checker cannot prove compatible`));
    }
  }
  return problems;
}

/** The default is filled into old events, so it must be a value the field itself accepts. */
function defaultFitsItsField(field: Schema): boolean {
  const { default: value, ...rest } = field;
  try {
    return new Ajv2020({ strict: false }).validate(rest, value) === true;
  } catch {
    return false;
  }
}

function typesOf(schema: Schema): Set<string> {
  const { type } = schema;
  if (typeof type === 'string') return new Set([type]);
  return new Set(Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : []);
}

function describeTypes(types: Set<string>): string {
  return types.size === 0 ? 'any' : [...types].join(' | ');
}

function narrowed(before: unknown, after: unknown, tighter: (b: number, a: number) => boolean) {
  if (typeof after !== 'number') return false;
  return typeof before !== 'number' || tighter(before, after);
}

/** additionalProperties: absent or true allows anything; false or a schema restricts. */
function additionalNarrowed(before: unknown, after: unknown): boolean {
  const open = (value: unknown) => value === undefined || value === true;
  if (open(after)) return false;
  if (open(before)) return true;
  if (after === false) return before !== false;
  return before !== false && compare(before as Schema, after as Schema, '').length > 0;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemaOr(value: unknown): Schema {
  return isSchema(value) ? value : {};
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
