import AjvCompiler from '@fastify/ajv-compiler';
import type { ErrorObject, Options as AjvOptions } from 'ajv';
import type { FastifyServerOptions } from 'fastify';
import { CONTROL_CHARACTERS, LINE_BREAKING_CONTROL_CHARACTERS } from '../lib/text.js';

/**
 * Request validation at the edge (ADR 0009). Two Ajv compilers: JSON bodies are validated strictly
 * (no type coercion: `12` is not a string, `["a"]` is not "a"), query strings and path parameters
 * coerce as HTTP requires ("5" is the integer 5). Before its schema, every part is walked once:
 * control characters (NUL first of all) and nesting deeper than {@link MAX_DEPTH} are refused with
 * field errors, so hostile text never reaches 1NCE, the database or a recursive algorithm.
 */

/** Deeper than any legitimate request (custom fields allow 3 levels); far below a stack overflow. */
export const MAX_DEPTH = 16;

/** Field errors reported per request at most: enough to fix a request, too few to amplify an attack. */
const MAX_REPORTED = 10;

/**
 * Schemas carrying this annotation accept control characters: the data comes from 1NCE (the Data
 * Streamer) and is sanitised on ingest instead of being refused, so 1NCE never retries a batch forever.
 */
export const PROVIDER_DATA_KEYWORD = 'x-provider-data';

/** The keyword of the one error reported for a missing body; answered as `invalid_body`. */
export const BODY_REQUIRED_KEYWORD = 'bodyRequired';

const BASE_OPTIONS: AjvOptions = { removeAdditional: false, allErrors: true, useDefaults: true };

type HttpPart = 'body' | 'querystring' | 'params' | 'headers';

interface RouteSchema {
  schema: unknown;
  method: string;
  url: string;
  httpPart?: HttpPart;
}

interface ValidateFunction {
  (data: unknown, context?: unknown): boolean | Promise<unknown>;
  errors?: ErrorObject[] | null;
  schemaEnv?: unknown;
}

type GuardedValidate = ((data: unknown, context?: unknown) => boolean | { value: unknown }) & {
  errors?: ErrorObject[] | null;
  schemaEnv?: unknown;
};

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function fieldError(instancePath: string, message: string, keyword: string): ErrorObject {
  return { instancePath, schemaPath: '#', keyword, params: {}, message };
}

/**
 * Walks a parsed request part: every string value and property name is checked against
 * `forbidden`, and nesting deeper than MAX_DEPTH is reported instead of descended into. The walk
 * recurses, but never deeper than MAX_DEPTH, so hostile nesting cannot overflow the stack; a JSON
 * pointer is built only for a value that is reported (a 3,000-record Data Streamer batch has
 * ~150,000 values: building a path string for each was most of the walk's cost, ADR 0017).
 * Errors come in the order of a depth-first walk; within one object, property-name errors are
 * reported (last name first) before the errors of its values.
 */
export function hostileInputErrors(data: unknown, forbidden: RegExp | undefined): ErrorObject[] {
  const errors: ErrorObject[] = [];
  /** Keys from the root to the value being visited (escaped lazily, on error). */
  const keys: string[] = [];
  const pointer = (last?: string) => {
    const segments = last === undefined ? keys : [...keys, last];
    return segments.length === 0 ? '' : `/${segments.map(escapePointer).join('/')}`;
  };
  const visit = (value: unknown, depth: number): void => {
    if (errors.length >= MAX_REPORTED) return;
    if (typeof value === 'string') {
      if (forbidden?.test(value) === true) errors.push(fieldError(pointer(), 'must not contain control characters (such as NUL)', 'controlCharacters'));
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (depth >= MAX_DEPTH) {
      errors.push(fieldError(pointer(), `must not nest deeper than ${MAX_DEPTH} levels`, 'maxDepth'));
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i += 1) {
        const child: unknown = value[i];
        // Scalars other than strings can hold nothing hostile: skip the bookkeeping for them.
        if (child === null || (typeof child !== 'object' && typeof child !== 'string')) continue;
        keys.push(String(i));
        visit(child, depth + 1);
        keys.pop();
        if (errors.length >= MAX_REPORTED) return;
      }
      return;
    }
    const names = Object.keys(value);
    let refused: Set<string> | undefined;
    if (forbidden !== undefined) {
      for (let i = names.length - 1; i >= 0; i -= 1) {
        const name = names[i]!;
        if (forbidden.test(name)) {
          // The name is shown escaped: the error must not carry the hostile characters on.
          errors.push(fieldError(pointer(JSON.stringify(name).slice(1, -1)), 'is a property name with control characters', 'controlCharacters'));
          (refused ??= new Set()).add(name);
        }
      }
    }
    for (const name of names) {
      if (refused?.has(name) === true) continue;
      const child: unknown = (value as Record<string, unknown>)[name];
      if (child === null || (typeof child !== 'object' && typeof child !== 'string')) continue;
      keys.push(name);
      visit(child, depth + 1);
      keys.pop();
      if (errors.length >= MAX_REPORTED) return;
    }
  };
  visit(data, 0);
  return errors;
}

/** An object schema none of whose properties is required: the body may be left out entirely. */
function isOptionalObject(schema: unknown): boolean {
  if (schema === null || typeof schema !== 'object') return false;
  const s = schema as { type?: unknown; required?: unknown; minProperties?: unknown };
  return s.type === 'object' && (!Array.isArray(s.required) || s.required.length === 0);
}

function hasAnnotation(schema: unknown, keyword: string): boolean {
  return schema !== null && typeof schema === 'object' && (schema as Record<string, unknown>)[keyword] === true;
}

/** Turns Ajv's wording for our shared patterns into messages a caller can act on. */
function humanise(errors: ErrorObject[] | null | undefined): ErrorObject[] | null | undefined {
  return errors?.map((e) =>
    e.keyword === 'pattern' && typeof e.params.pattern === 'string' && e.params.pattern.includes('\\u0000-\\u001f')
      ? { ...e, message: 'must be a single line without control characters' }
      : e,
  );
}

/** Numbers of a coerced request part (query, path, headers: flat, values or arrays) that are not finite. */
function nonFiniteNumbers(data: unknown): ErrorObject[] {
  if (data === null || typeof data !== 'object') return [];
  const errors: ErrorObject[] = [];
  for (const [key, value] of Object.entries(data)) {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'number' && !Number.isFinite(v))) errors.push(fieldError(`/${key}`, 'must be a finite number', 'maximum'));
  }
  return errors;
}

function guard(validate: ValidateFunction, route: RouteSchema): GuardedValidate {
  const part = route.httpPart;
  const isBody = part === 'body';
  const forbidden = hasAnnotation(route.schema, PROVIDER_DATA_KEYWORD)
    ? undefined
    : isBody
      ? CONTROL_CHARACTERS
      : LINE_BREAKING_CONTROL_CHARACTERS;
  const optionalBody = isBody && isOptionalObject(route.schema);

  const guarded: GuardedValidate = (input, context) => {
    let data = input;
    let replaced = false;
    if (isBody && data === null) {
      // Fastify passes null for a request without a body (`curl -X POST`, or an empty JSON body).
      if (!optionalBody) {
        guarded.errors = [fieldError('', 'is required: send a JSON object', BODY_REQUIRED_KEYWORD)];
        return false;
      }
      data = {};
      replaced = true;
    }
    const hostile = part === 'headers' ? [] : hostileInputErrors(data, forbidden);
    if (hostile.length > 0) {
      guarded.errors = hostile;
      return false;
    }
    const ok = validate(data, replaced ? undefined : context);
    guarded.errors = humanise(validate.errors) ?? null;
    if (ok !== true) return false;
    if (!isBody) {
      // Ajv coerces "1e309" to Infinity and lets it pass `integer` and `maximum`; no route means it.
      const overflow = nonFiniteNumbers(data);
      if (overflow.length > 0) {
        guarded.errors = overflow;
        return false;
      }
    }
    return replaced ? { value: data } : true;
  };
  if (validate.schemaEnv !== undefined) guarded.schemaEnv = validate.schemaEnv;
  return guarded;
}

type ValidatorFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;

/**
 * The validator factory for `schemaController.compilersFactory.buildValidator`: strict Ajv for
 * bodies, coercing Ajv for query strings, path parameters and headers, every validator guarded.
 */
export function createValidatorFactory(): ValidatorFactory {
  const pool = AjvCompiler();
  const onCreate = (ajv: { addKeyword(definition: { keyword: string; schemaType: string }): unknown }) => {
    ajv.addKeyword({ keyword: PROVIDER_DATA_KEYWORD, schemaType: 'boolean' });
  };
  return (externalSchemas, ajvServerOptions) => {
    const plugins = (ajvServerOptions as { plugins?: unknown[] } | undefined)?.plugins ?? [];
    const build = (coerceTypes: boolean | 'array') =>
      pool(externalSchemas, {
        customOptions: { ...BASE_OPTIONS, coerceTypes },
        plugins: plugins as never,
        onCreate: onCreate as never,
      }) as unknown as (route: RouteSchema) => ValidateFunction;
    const strict = build(false);
    const coercing = build('array');
    return ((route: RouteSchema) => guard((route.httpPart === 'body' ? strict : coercing)(route), route)) as never;
  };
}
