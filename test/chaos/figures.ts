/**
 * Figures of the chaos tests for docs/reliability.md: written as JSON when RELIABILITY_FIGURES_DIR
 * is set (scripts/reliability-report.ts sets it), nothing otherwise.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Writes `figures` as `<name>.json` into RELIABILITY_FIGURES_DIR, when set. */
export function recordFigures(name: string, figures: Record<string, unknown>): void {
  const dir = process.env.RELIABILITY_FIGURES_DIR;
  if (dir === undefined || dir === '') return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify({ ...figures, recordedAt: new Date().toISOString() }, null, 2)}\n`);
}
