/* eslint-disable no-control-regex */
/**
 * Control characters (matching them is the point here, hence no-control-regex is off): what the edge refuses and what provider data is cleaned of. PostgreSQL can
 * store neither NUL in text nor `\u0000` in jsonb, so a NUL that got past the edge would fail the
 * write (and, recorded in an error message, the job engine's bookkeeping) - see ADR 0009.
 */

/**
 * C0 controls except tab, line feed and carriage return, DEL and the C1 controls: never meaningful
 * in any text we accept. Refused in every JSON body string and property name.
 */
export const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** Every C0 control (tab and line breaks included), DEL and C1: refused in query strings and paths. */
export const LINE_BREAKING_CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

const CONTROL_CHARACTERS_GLOBAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
const LINE_BREAKING_GLOBAL = /[\u0000-\u001f\u007f-\u009f]/g;

/** True when `text` holds a character {@link sanitizeText} would remove. */
export function hasControlCharacters(text: string): boolean {
  return CONTROL_CHARACTERS.test(text);
}

/**
 * Text from outside (1NCE, the Data Streamer, an error message) made storable: control characters
 * removed, tab and line breaks kept unless `singleLine`, where they become spaces.
 */
export function sanitizeText(text: string, options: { singleLine?: boolean } = {}): string {
  const cleaned = text.replace(CONTROL_CHARACTERS_GLOBAL, '');
  return options.singleLine === true ? cleaned.replace(LINE_BREAKING_GLOBAL, ' ') : cleaned;
}

/** `sanitizeText` for values that may not be strings (null and undefined pass through). */
export function sanitizeOptionalText<T extends string | null | undefined>(text: T, options: { singleLine?: boolean } = {}): T {
  return (typeof text === 'string' ? sanitizeText(text, options) : text) as T;
}

/**
 * A JSON value (as parsed from a provider response) with every string and property name
 * sanitised; iterative, so hostile nesting cannot overflow the stack.
 */
export function sanitizeJson<T>(value: T): T {
  if (typeof value === 'string') return sanitizeText(value) as T;
  if (value === null || typeof value !== 'object') return value;
  const root: unknown = Array.isArray(value) ? [] : {};
  const stack: Array<{ from: unknown; to: Record<string, unknown> | unknown[] }> = [{ from: value, to: root as Record<string, unknown> }];
  while (stack.length > 0) {
    const { from, to } = stack.pop()!;
    const entries: Array<[string | number, unknown]> = Array.isArray(from) ? from.map((v, i) => [i, v]) : Object.entries(from as Record<string, unknown>);
    for (const [key, child] of entries) {
      let copy: unknown = child;
      if (typeof child === 'string') copy = sanitizeText(child);
      else if (child !== null && typeof child === 'object') {
        copy = Array.isArray(child) ? [] : {};
        stack.push({ from: child, to: copy as Record<string, unknown> });
      }
      if (Array.isArray(to)) to[key as number] = copy;
      else to[typeof key === 'string' ? sanitizeText(key) : String(key)] = copy;
    }
  }
  return root as T;
}
