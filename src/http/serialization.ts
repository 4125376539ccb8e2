import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

/**
 * Response serialisation: fast-json-stringify, as Fastify does by default, over schemas rewritten
 * for speed without changing a byte of output (docs/adr/0022).
 *
 * The schemas say "a string or null" the TypeBox way, `anyOf: [{ type: 'string' }, { type: 'null' }]`,
 * and "one of these strings" as `anyOf` of `const`s. fast-json-stringify serialises an `anyOf` by
 * running an Ajv validator per alternative for every value (a date-time regex for each timestamp),
 * which made that the largest cost of a 50-SIM list page (0.75 ms of 1.1 ms). The equivalent
 * `type: ['string', 'null']` and `enum` are serialised with a `typeof` test. The rewrite applies
 * only to the serialiser: validation and /openapi.json keep the schemas as written.
 */

type Schema = Record<string, unknown>;
type SerializerFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']>;

const PRIMITIVES = new Set(['string', 'number', 'integer', 'boolean']);
/** Keywords under which further schemas nest (objects of schemas, arrays of schemas, or one schema). */
const SCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs'];
const SCHEMA_LISTS = ['anyOf', 'allOf', 'oneOf', 'prefixItems'];
const SCHEMA_ONE = ['items', 'additionalProperties', 'not', 'if', 'then', 'else'];

function isSchema(value: unknown): value is Schema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A plain primitive schema (`{ type: 'string', format: ... }`): no combinators, no reference. */
function isPlainPrimitive(schema: unknown): schema is Schema & { type: string } {
  return (
    isSchema(schema) &&
    typeof schema.type === 'string' &&
    PRIMITIVES.has(schema.type) &&
    schema.$ref === undefined &&
    schema.anyOf === undefined &&
    schema.oneOf === undefined &&
    schema.allOf === undefined &&
    schema.const === undefined &&
    schema.enum === undefined
  );
}

const isNull = (schema: unknown) => isSchema(schema) && schema.type === 'null' && Object.keys(schema).every((k) => k === 'type' || k === '$id' || k.startsWith('~'));
const isStringConst = (schema: unknown) => isSchema(schema) && typeof schema.const === 'string';

/** `anyOf: [primitive, null]` (either order) as `type: [primitive, 'null']`; `anyOf` of string constants as `enum`. */
function simplified(schema: Schema): Schema | undefined {
  const alternatives = schema.anyOf;
  if (!Array.isArray(alternatives) || alternatives.length === 0) return undefined;
  const { anyOf: _anyOf, ...siblings } = schema;
  if (alternatives.length === 2) {
    const [a, b] = alternatives as unknown[];
    const value = isNull(b) ? a : isNull(a) ? b : undefined;
    if (isPlainPrimitive(value)) {
      // The alternative's own keywords (format, description) win over none; the union's siblings are kept.
      return { ...siblings, ...value, type: [value.type, 'null'] };
    }
  }
  if (alternatives.every(isStringConst) && siblings.type === undefined) {
    return { ...siblings, type: 'string', enum: alternatives.map((alt) => (alt as { const: string }).const) };
  }
  return undefined;
}

/** The schema with every simplifiable `anyOf` rewritten, at any depth; the input is not changed. */
export function forSerialization(schema: unknown, seen: WeakMap<object, unknown> = new WeakMap()): unknown {
  if (Array.isArray(schema)) return schema.map((s) => forSerialization(s, seen));
  if (!isSchema(schema)) return schema;
  const known = seen.get(schema);
  if (known !== undefined) return known;
  const out: Schema = { ...schema };
  seen.set(schema, out);
  for (const key of SCHEMA_MAPS) {
    const map = out[key];
    if (isSchema(map)) out[key] = Object.fromEntries(Object.entries(map).map(([k, v]) => [k, forSerialization(v, seen)]));
  }
  for (const key of SCHEMA_LISTS) if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map((s) => forSerialization(s, seen));
  for (const key of SCHEMA_ONE) if (isSchema(out[key])) out[key] = forSerialization(out[key], seen);
  const simple = simplified(out);
  if (simple !== undefined) {
    seen.set(schema, simple);
    return simple;
  }
  return out;
}

/** The serializer factory for `schemaController.compilersFactory.buildSerializer`. */
export function createSerializerFactory(): SerializerFactory {
  const selector = SerializerSelector();
  return (externalSchemas, serializerOptions) => {
    const shared = Object.fromEntries(Object.entries(externalSchemas ?? {}).map(([id, s]) => [id, forSerialization(s)]));
    const build = selector(shared, serializerOptions);
    return (route) => build({ ...route, schema: forSerialization(route.schema) });
  };
}
