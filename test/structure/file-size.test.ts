import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** The longest a hand-written source file may be: past it, a newcomer stops reading and starts scrolling. */
const MAX_LINES = 400;

/** Generated files, exempt because nobody edits them by hand. */
const GENERATED: Record<string, string> = {
  'web/src/api/schema.d.ts': 'generated from the OpenAPI document by `npm run web:api-types` (openapi-typescript)',
};

/** Lines as an editor numbers them (a final newline does not start another). */
function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx)$/.test(entry.name) ? [full] : [];
  });
}

describe('source file size', () => {
  it(`keeps every file in src/ and web/src/ at ${MAX_LINES} lines or fewer (generated files excepted)`, () => {
    const files = [...sourceFiles('src'), ...sourceFiles(path.join('web', 'src'))].map((f) => f.split(path.sep).join('/'));
    // The walk really found the project (an empty list would pass).
    expect(files.length).toBeGreaterThan(200);
    for (const generated of Object.keys(GENERATED)) expect(files, `${generated} is listed as generated but missing`).toContain(generated);
    const tooLong = files
      .filter((f) => GENERATED[f] === undefined)
      .map((f) => ({ file: f, lines: lineCount(readFileSync(f, 'utf8')) }))
      .filter((f) => f.lines > MAX_LINES)
      .map((f) => `${f.file}: ${f.lines} lines`);
    expect(tooLong).toEqual([]);
  });
});
