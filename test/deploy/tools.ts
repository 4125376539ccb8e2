import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Repository root (tests run from it, but be explicit). */
export const ROOT = path.resolve(import.meta.dirname, '../..');
export const DEPLOY = path.join(ROOT, 'deploy');

/**
 * CI installs the deploy tools (promtool, amtool, nginx, openssl, pg_dump) and sets
 * REQUIRE_DEPLOY_TOOLS=1: there a missing tool fails the suite instead of skipping it.
 */
export const requireTools = process.env.REQUIRE_DEPLOY_TOOLS === '1';

const SEARCH = ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(':')];

/** Absolute path of an executable, or undefined when it is not installed. */
export function which(name: string): string | undefined {
  for (const dir of SEARCH) {
    const candidate = path.join(dir, name);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Finds the tools a suite needs. Missing ones: under REQUIRE_DEPLOY_TOOLS=1 this throws (the suite
 * fails); otherwise it prints a loud banner and the caller skips the suite with `describe.skipIf`.
 */
export function findTools<const T extends readonly string[]>(suite: string, names: T): Record<T[number], string> | undefined {
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const at = which(name);
    if (at === undefined) missing.push(name);
    else found[name] = at;
  }
  if (missing.length === 0) return found;
  const message = `${suite}: ${missing.join(', ')} not installed (apt-get install prometheus prometheus-alertmanager nginx-light openssl postgresql-client)`;
  if (requireTools) throw new Error(`REQUIRE_DEPLOY_TOOLS=1 but ${message}`);
  process.stderr.write(`\n${'!'.repeat(100)}\n!!! SKIPPING ${message}\n${'!'.repeat(100)}\n\n`);
  return undefined;
}

/** Runs a tool synchronously; returns its exit status and combined output. */
export function run(command: string, args: readonly string[], options: { cwd?: string; input?: string } = {}): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd: options.cwd ?? ROOT, input: options.input, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}
