/**
 * The TypeScript type a JSON Schema describes, for the subset the event schemas use (objects
 * with properties and required, arrays with items, strings, integers, numbers, booleans). The
 * schemas are written `as const`, so the compiler derives each version's data type from the very
 * object Ajv validates with: the two cannot drift.
 */
export type FromSchema<S> = S extends { readonly type: 'object'; readonly properties: infer P }
  ? ObjectFrom<P, S extends { readonly required: readonly (infer R)[] } ? R : never>
  : S extends { readonly type: 'array'; readonly items: infer I }
    ? readonly FromSchema<I>[]
    : S extends { readonly type: 'string' }
      ? string
      : S extends { readonly type: 'integer' | 'number' }
        ? number
        : S extends { readonly type: 'boolean' }
          ? boolean
          : never;

type ObjectFrom<P, Required> = Flatten<
  { readonly [K in keyof P as K extends Required ? K : never]: FromSchema<P[K]> } & {
    readonly [K in keyof P as K extends Required ? never : K]?: FromSchema<P[K]>;
  }
>;

type Flatten<T> = { [K in keyof T]: T[K] };

/** true when A and B are the same type (optional and readonly modifiers included). */
export type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
