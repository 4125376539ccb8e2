/** Column types shared by every table: timestamps, numerics, days and jsonb, with the driver contract of src/db/client.ts. */
import type { ColumnType } from 'kysely';

/** timestamptz: read as Date; written as a Date or an ISO-8601 string with zone. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** A timestamptz with a database default: optional on insert, read as Date (Kysely unwraps only one ColumnType level). */
export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** numeric (money, MB, percentages): read as a decimal string so no float ever touches it. */
export type Numeric = ColumnType<string, string | number, string | number>;

/** numeric[]: read as decimal strings. */
export type NumericArray = ColumnType<string[], Array<string | number>, Array<string | number>>;

/** A calendar day 'YYYY-MM-DD' (UTC). */
export type DateString = string;

/**
 * What may be written to a jsonb column: a plain object (type alias or Record, not an interface)
 * or pre-serialised JSON text. Arrays must be JSON.stringify'd first, because node-postgres
 * encodes a JS array parameter as a Postgres array literal, which jsonb rejects.
 */
export type JsonWrite = string | { [key: string]: unknown };

/** jsonb column read as `S`. */
export type Json<S = unknown> = ColumnType<S, JsonWrite, JsonWrite>;

/** jsonb column holding an array: read as `S[]`, written as JSON text. */
export type JsonArray<S = unknown> = ColumnType<S[], string, string>;

/** jsonb with a database default: optional on insert (`Generated<Json>` would nest two ColumnTypes, which Kysely does not unwrap). */
export type GeneratedJson<S = unknown> = ColumnType<S, JsonWrite | undefined, JsonWrite>;

/** jsonb array with a database default: optional on insert, written as JSON text. */
export type GeneratedJsonArray<S = unknown> = ColumnType<S[], string | undefined, string>;

/** Plain JSON object as stored in jsonb object columns. */
export type JsonObject = { [key: string]: unknown };
