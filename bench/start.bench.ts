/**
 * `npm run bench -- start`: time from `npm start` to "simfleet is ready", on a fresh clone (no dist/:
 * the prestart check builds) and on a restart (built tree, same DATA_DIR: no build, schema up to
 * date). The clone is a temporary copy of the build inputs with node_modules linked, so the working
 * tree's dist/ is never touched. Demo mode, embedded PGlite: what a newcomer runs.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const INPUTS = ['src', 'scripts', 'web', 'package.json', 'package-lock.json'];

function cloneTree(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'simfleet-start-bench-'));
  for (const name of [...INPUTS, ...readdirSync('.').filter((f) => /^tsconfig.*\.json$/.test(f))]) {
    if (!existsSync(name)) continue;
    cpSync(name, path.join(dir, name), { recursive: true, filter: (src) => !/(^|\/)(node_modules|dist)(\/|$)/.test(path.relative('.', src)) });
  }
  symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'), 'dir');
  if (existsSync('web/node_modules')) symlinkSync(path.resolve('web/node_modules'), path.join(dir, 'web/node_modules'), 'dir');
  return dir;
}

/** Runs `npm start` in `cwd` until the ready line; returns the seconds it took, then stops it. */
function timeToReady(cwd: string, dataDir: string): Promise<number> {
  const started = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SIMULATOR_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"simfleet is ready"')) {
        const seconds = (performance.now() - started) / 1000;
        child.stdout.off('data', onData);
        child.once('exit', () => resolve(seconds));
        process.kill(-child.pid!, 'SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      if (!output.includes('"simfleet is ready"')) reject(new Error(`npm start exited (${code}) before ready:\n${output.slice(-2000)}`));
    });
  });
}

export async function runStartBench(): Promise<Record<string, unknown>> {
  const tree = cloneTree();
  const dataDir = path.join(tree, 'data');
  try {
    const fresh = await timeToReady(tree, dataDir);
    const restart = await timeToReady(tree, dataDir);
    return {
      backend: 'pglite (demo mode, embedded)',
      fresh_clone_to_ready_s: fresh,
      fresh_target_s: 15,
      restart_to_ready_s: restart,
      restart_target_s: 3,
    };
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}
