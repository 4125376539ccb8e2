// `npm start` runs this first (prestart): it runs `npm run build` only when the inputs of the build
// changed since the last successful one, so a restart on a built tree is ready in seconds and the
// first start on a fresh clone stays one command. The stamp is a SHA-256 over the path and content
// of every build input (src/, web/ without its node_modules and dist, scripts/, package.json,
// package-lock.json, tsconfig*.json), kept in dist/.build-stamp. SIMFLEET_FORCE_BUILD=1 always builds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';

const STAMP = 'dist/.build-stamp';
const OUTPUT = 'dist/src/main.js';
const SKIP_DIRS = new Set(['node_modules', 'dist', '.tmp', 'coverage', 'test-results']);

function* files(dir) {
  if (!existsSync(dir)) return;
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* files(full);
    } else if (entry.isFile()) {
      yield full;
    }
  }
}

export function buildInputsHash(root = '.') {
  const hash = createHash('sha256');
  const roots = ['src', 'web', 'scripts'];
  const singles = readdirSync(root).filter((f) => f === 'package.json' || f === 'package-lock.json' || /^tsconfig.*\.json$/.test(f)).sort();
  for (const file of [...singles.map((f) => path.join(root, f)), ...roots.flatMap((r) => [...files(path.join(root, r))])]) {
    hash.update(path.relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function main() {
  const started = performance.now();
  if (!existsSync('src') && existsSync(OUTPUT)) return; // a package shipped built, without sources
  const current = buildInputsHash();
  const previous = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : undefined;
  const forced = process.env.SIMFLEET_FORCE_BUILD === '1';
  if (!forced && previous === current && existsSync(OUTPUT)) {
    process.stderr.write(`build is up to date (checked in ${Math.round(performance.now() - started)} ms)\n`);
    return;
  }
  process.stderr.write(previous === undefined ? 'building simfleet (first start)...\n' : 'sources changed since the last build: building...\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write('build failed; not starting\n');
    process.exit(result.status ?? 1);
  }
  writeFileSync(STAMP, `${current}\n`);
  process.stderr.write(`built in ${Math.round((performance.now() - started) / 100) / 10} s\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
