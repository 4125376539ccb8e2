import { Type } from 'typebox';

/**
 * TypeBox building blocks shared by the request and response schemas of every module (validation,
 * serialisation and OpenAPI come from the same declarations).
 */

/** `schema` or `null`. */
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

/** An ISO-8601 UTC timestamp. */
export const DateTime = Type.String({ format: 'date-time' });

export const ICCID_EXAMPLE = '8988280666000000019';

/**
 * An ICCID as a caller may write it: 19 digits, or 20 with the Luhn check digit. The length bound
 * only keeps garbage out of the validator; `src/lib/identifiers.ts` decides what is valid and the
 * route answers 400 naming the field.
 */
export const Iccid = Type.String({ description: 'ICCID (19 digits, or 20 with the Luhn check digit)', examples: [ICCID_EXAMPLE], maxLength: 22 });

/** `:iccid` path parameter. */
export const IccidParams = Type.Object({ iccid: Iccid });

/**
 * A single line of text: no control characters at all (tab and line breaks included). The edge
 * refuses NUL and other controls in every string anyway (src/http/validation.ts); this pattern
 * also keeps line breaks out of labels, names, tags and search terms, and documents it.
 */
export const SINGLE_LINE_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';

/** `Type.String` restricted to one line (see {@link SINGLE_LINE_PATTERN}). */
export const Line = (options: { minLength?: number; maxLength: number; description?: string; examples?: string[]; default?: string; format?: string }) =>
  Type.String({ ...options, pattern: SINGLE_LINE_PATTERN });

/** The highest page number any list accepts; beyond it an offset is meaningless (and `1e308` is not a page). */
export const MAX_PAGE = 1_000_000;

/** `page` query parameter: 1-based, bounded on every list. */
export const Page = (options: { default?: number } = { default: 1 }) =>
  Type.Integer({ minimum: 1, maximum: MAX_PAGE, ...options, description: `1-based page number (at most ${MAX_PAGE.toLocaleString('en')})` });

/** Limits of a SIM's custom fields: labels for people and integrations, not documents. */
export const CUSTOM_FIELDS_LIMITS = {
  /** Levels of objects or arrays, counting the top object. */
  depth: 3,
  /** Keys of the top object (after a merge too) and of each nested object; items of each array. */
  keys: 50,
  keyLength: 64,
  stringLength: 1_000,
  /** The whole object as JSON, in UTF-8 bytes, after a merge. */
  bytes: 16 * 1024,
} as const;

const customFieldKey = { type: 'string', minLength: 1, maxLength: CUSTOM_FIELDS_LIMITS.keyLength, pattern: SINGLE_LINE_PATTERN };
const customFieldScalar = {
  anyOf: [
    { type: 'string', maxLength: CUSTOM_FIELDS_LIMITS.stringLength },
    { type: 'number', minimum: -1e15, maximum: 1e15 },
    { type: 'boolean' },
    { type: 'null' },
  ],
};
const customFieldContainer = (item: object) => ({
  anyOf: [
    ...customFieldScalar.anyOf,
    { type: 'array', maxItems: CUSTOM_FIELDS_LIMITS.keys, items: item },
    { type: 'object', maxProperties: CUSTOM_FIELDS_LIMITS.keys, propertyNames: customFieldKey, additionalProperties: item },
  ],
});

/**
 * Custom fields as a request may send them: an object of at most 50 keys (1-64 characters, one line)
 * whose values are strings (up to 1,000 characters), numbers, booleans, null, or arrays/objects of
 * those nested at most three levels deep counting the top object. The stored object (after a merge)
 * is at most 50 keys and 16 KiB of JSON, checked by the service.
 */
export const CustomFields = (description: string) =>
  Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    maxProperties: CUSTOM_FIELDS_LIMITS.keys,
    propertyNames: customFieldKey,
    additionalProperties: customFieldContainer(customFieldContainer(customFieldScalar)),
    description:
      `${description} At most ${CUSTOM_FIELDS_LIMITS.keys} keys of 1-${CUSTOM_FIELDS_LIMITS.keyLength} characters, nested at most ` +
      `${CUSTOM_FIELDS_LIMITS.depth} levels (counting this object), strings up to ${CUSTOM_FIELDS_LIMITS.stringLength} characters, ` +
      `${CUSTOM_FIELDS_LIMITS.bytes / 1024} KiB of JSON in all.`,
  });
