import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Every metric is defined in src/metrics.ts or src/metrics/ (the areas it calls). Everywhere else a
 * module receives its narrow metric objects through deps: it may import prom-client types, never
 * construct a metric or a registry.
 */

/** `new Counter(`, `new client.Histogram(`, `new Registry(` ... */
const CONSTRUCTOR = /\bnew\s+(?:[A-Za-z_$][\w$]*\.)?(Counter|Gauge|Histogram|Summary|Registry)\s*[(<]/;
/** Any import of prom-client values (a type-only import is allowed). */
const VALUE_IMPORT = /^\s*import\s+(?!type\b)[^;]*?from\s+['"]prom-client['"]/m;
const DYNAMIC_IMPORT = /(?:import|require)\(\s*['"]prom-client['"]\s*\)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.ts$/.test(entry.name) ? [full] : [];
  });
}

function isMetricsModule(file: string): boolean {
  return file === 'src/metrics.ts' || file.startsWith('src/metrics/');
}

/** Reasons `text` breaks the rule, empty when it does not. */
function violations(text: string): string[] {
  const found: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (CONSTRUCTOR.test(line)) found.push(`line ${i + 1}: constructs a prom-client metric: ${line.trim()}`);
  });
  // Import statements may span lines; match them on the whole text, statement by statement.
  for (const statement of text.split(';')) {
    if (VALUE_IMPORT.test(statement)) found.push(`imports prom-client values: ${statement.trim().replace(/\s+/g, ' ')}`);
  }
  if (DYNAMIC_IMPORT.test(text)) found.push('imports prom-client dynamically');
  return found;
}

describe('metric definitions', () => {
  const files = sourceFiles('src').map((f) => f.split(path.sep).join('/'));

  it('the rule catches what it is meant to catch', () => {
    expect(violations("import { Counter } from 'prom-client';\nconst c = new Counter({ name: 'x', help: 'y' });")).toHaveLength(2);
    expect(violations("import client from 'prom-client';\nnew client.Gauge({ name: 'x', help: 'y' })")).toHaveLength(2);
    expect(violations("import {\n  Histogram,\n} from 'prom-client';")).toHaveLength(1);
    expect(violations("const h = new Summary<'a'>({ name: 'x', help: 'y' });")).toHaveLength(1);
    expect(violations("const { Registry } = await import('prom-client');")).toHaveLength(1);
    expect(violations("import type { Gauge, Counter } from 'prom-client';\nfunction f(c: Counter<'a'>) { c.inc(); }")).toEqual([]);
  });

  it('are made only in src/metrics.ts and src/metrics/', () => {
    // The walk really found the project, and the metrics modules in it (an empty list would pass).
    expect(files.length).toBeGreaterThan(150);
    expect(files).toContain('src/metrics.ts');
    expect(files.filter(isMetricsModule).every((f) => f === 'src/metrics.ts' || violations(readFileSync(f, 'utf8')).length > 0)).toBe(true);
    const outside = files
      .filter((f) => !isMetricsModule(f))
      .flatMap((f) => violations(readFileSync(f, 'utf8')).map((v) => `${f}: ${v}`));
    expect(outside).toEqual([]);
  });
});
