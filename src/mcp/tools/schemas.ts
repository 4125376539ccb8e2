import { Type } from 'typebox';
import { Iccid } from '../../lib/schemas.js';

/** Schema pieces every tool family shares. Every object is closed: an unknown argument is an error, not ignored. */

/** A tool's input object: no arguments beyond the declared ones. */
export const Args = <P extends Parameters<typeof Type.Object>[0]>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description !== undefined && { description }) });

/** The SIM a tool acts on. */
export const IccidArg = Iccid;

/** A day as `YYYY-MM-DD` (UTC). */
export const DayArg = (description: string) => Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description });

/** The SIM a per-SIM call is about, for the audit entry's target. */
export function simTarget(args: unknown): { type: string; id: string } | undefined {
  const iccid = (args as { iccid?: unknown } | undefined)?.iccid;
  return typeof iccid === 'string' ? { type: 'sim', id: iccid } : undefined;
}
