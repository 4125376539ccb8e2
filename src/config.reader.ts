/**
 * Reading the environment without stopping at the first mistake: every problem is recorded, and
 * `loadConfig` (config.ts) throws them together as one ConfigError. Secrets may come from a file
 * named by `<NAME>_FILE`; values are never echoed in a problem.
 */
import { readFileSync } from 'node:fs';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/**
 * Secrets that may also come from a file named by `<NAME>_FILE` (Docker/Kubernetes secrets mounted
 * as files, so the value never sits in the environment or in `docker inspect`).
 */
export const FILE_VARIABLES: ReadonlySet<string> = new Set([
  'DATABASE_URL',
  'REDIS_URL',
  'JWT_SECRET',
  'ENCRYPTION_KEY',
  'ADMIN_PASSWORD',
  'ONCE_CLIENT_SECRET',
  'STREAMER_PASSWORD',
]);

/** A small reader that records problems instead of throwing at the first one. */
export function createReader(env: Env) {
  const problems: string[] = [];
  const fromFiles = new Map<string, string | undefined>();

  const fromFile = (name: string): string | undefined => {
    if (fromFiles.has(name)) return fromFiles.get(name);
    const file = env[`${name}_FILE`]?.trim();
    let value: string | undefined;
    if (file !== undefined && file !== '') {
      if (env[name]?.trim()) {
        problems.push(`set either ${name} or ${name}_FILE, not both`);
      } else {
        try {
          value = readFileSync(file, 'utf8').trim() || undefined;
          if (value === undefined) problems.push(`${name}_FILE names an empty file`);
        } catch (error) {
          // Never echo the content; the path and the reason are enough.
          problems.push(`${name}_FILE "${file}" cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      }
    }
    fromFiles.set(name, value);
    return value;
  };

  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim();
    if (value === undefined || value === '') return FILE_VARIABLES.has(name) ? fromFile(name) : undefined;
    if (FILE_VARIABLES.has(name)) fromFile(name);
    return value;
  };

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const value = raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) {
      problems.push(`${name} must be an integer, got "${value}"`);
      return fallback;
    }
    const parsed = Number(value);
    if (parsed < min || parsed > max) {
      problems.push(`${name} must be between ${min} and ${max}, got ${parsed}`);
      return fallback;
    }
    return parsed;
  };

  const optionalInt = (name: string, min: number, max: number): number | undefined =>
    raw(name) === undefined ? undefined : int(name, min, min, max);

  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const match = allowed.find((a) => a === value.toLowerCase());
    if (match === undefined) {
      problems.push(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
      return fallback;
    }
    return match;
  };

  const bool = (name: string, fallback: boolean): boolean => {
    const value = raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    problems.push(`${name} must be true or false, got "${value}"`);
    return fallback;
  };

  const url = (name: string, protocols: readonly string[]): string | undefined => {
    const value = raw(name);
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name} must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
      }
    } catch {
      // Never echo the value: connection strings carry passwords.
      problems.push(`${name} is not a valid URL`);
    }
    return value;
  };

  return { problems, raw, int, optionalInt, oneOf, bool, url };
}
