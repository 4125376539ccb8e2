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
