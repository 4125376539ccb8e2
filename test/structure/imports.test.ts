import path from 'node:path';
import madge from 'madge';
import { describe, expect, it } from 'vitest';

/**
 * The layering stays acyclic: no module of src/ imports itself through others, type-only imports
 * included (a type cycle is a design cycle). madge resolves the TypeScript imports with the
 * project's tsconfig.
 */
describe('src/ import graph', () => {
  it('has no circular imports', async () => {
    const root = path.resolve('src');
    const graph = await madge(root, { fileExtensions: ['ts'], tsConfig: path.resolve('tsconfig.json'), excludeRegExp: [/\.test\.ts$/] });
    // The graph really is the project's (a resolution failure would give an empty, acyclic one).
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(150);
    expect(graph.obj()['deps.ts']).toContain('jobs/index.ts');
    expect(graph.circular()).toEqual([]);
  }, 60_000);
});
