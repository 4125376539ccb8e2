/**
 * Real processes for the chaos tests: a throw-away PostgreSQL cluster (initdb + pg_ctl on a free
 * port, in a temp dir), a throw-away redis-server, and the platform (the built dist/src/main.js when
 * it is current, else the sources through tsx) as a child process. Nothing here touches the shared PostgreSQL or Redis: each test kills only what it
 * started.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopProcess } from '../../scripts/lib/replicas.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILT_MAIN = path.join(ROOT, 'dist/src/main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(file));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

/**
 * How to run the server: the built output when it is at least as new as every source file (CI builds
 * before testing), else the sources through tsx, so a fresh checkout or an edit never tests stale code.
 */
export function serverCommand(): string[] {
  // tsc rewrites only the outputs whose source changed: the newest output must be newer than the newest source.
  const built = existsSync(BUILT_MAIN) && newestMtime(path.join(ROOT, 'dist/src')) >= newestMtime(path.join(ROOT, 'src'));
  return built ? [BUILT_MAIN] : ['--import', 'tsx', path.join(ROOT, 'src/main.ts')];
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The directory of PostgreSQL's server binaries (newest major), or undefined when none is installed. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const majors = readdirSync(base)
    .filter((d) => existsSync(path.join(base, d, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? undefined : path.join(base, majors[0], 'bin');
}

/** redis-server on the PATH, or undefined. */
export function redisServerPath(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const file = found.stdout.trim();
  return found.status === 0 && file !== '' ? file : undefined;
}

/** PostgreSQL refuses to run as root: run its tools as the `postgres` user then. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

function run(command: string, args: string[]): void {
  const [cmd, argv] = asPostgres(command, args);
  const result = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`);
}

/** A PostgreSQL cluster of our own that the test may stop and start at will. */
export interface OwnPostgres {
  url: string;
  port: number;
  start(): void;
  /** `fast` shutdown: open connections are terminated (57P01), new ones refused. */
  stop(): void;
  destroy(): void;
}

/** initdb + pg_ctl start on a free port; trust auth for `postgres`, fsync off (test data). */
export async function startOwnPostgres(binDir: string): Promise<OwnPostgres> {
  const dir = mkdtempSync(path.join(tmpdir(), 'simfleet-chaos-pg-'));
  chmodSync(dir, 0o777);
  const data = path.join(dir, 'data');
  const port = await freePort();
  run(path.join(binDir, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const pgCtl = path.join(binDir, 'pg_ctl');
  const cluster: OwnPostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: () => run(pgCtl, ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']),
    stop: () => run(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']),
    destroy() {
      try {
        run(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}

/** A redis-server of our own (no persistence). */
export interface OwnRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  /** SIGKILL: connections drop at once, as when the server dies. */
  stop(): Promise<void>;
}

/** Starts redis-server on a free port; `stop()`/`start()` kill and restart it on the same port. */
export async function startOwnRedis(binary: string): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const redis: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      const c = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
        c.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('Ready to accept connections')) {
            clearTimeout(timer);
            resolve();
          }
        });
        c.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`redis-server exited (${code})`));
        });
      });
    },
    async stop() {
      const c = child;
      child = undefined;
      if (c === undefined || c.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGKILL');
      await exited;
    },
  };
  await redis.start();
  return redis;
}

/** One platform process (the built server). */
export interface Platform {
  child: ChildProcess;
  lines: string[];
  url: string;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** Starts `node dist/src/main.js` with `env` (PORT 0) and resolves once it logs that it is ready; `user` runs it as that user (root only). */
export function startPlatform(env: Record<string, string>, timeoutMs = 60_000, user?: string): Promise<Platform> {
  const [command, args] = user === undefined ? [process.execPath, serverCommand()] : ['runuser', ['-u', user, '--', process.execPath, ...serverCommand()]];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const stop = () => stopProcess(child);
  return new Promise<Platform>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`platform not ready after ${timeoutMs} ms:\n${lines.slice(-8).join('\n')}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line === '') continue;
        lines.push(line);
        if (line.includes('"simfleet is ready"')) {
          clearTimeout(timer);
          resolve({ child, lines, url: (JSON.parse(line) as { url: string }).url, stop });
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`platform exited (${code ?? signal}) before it was ready:\n${lines.slice(-8).join('\n')}`), { lines }));
    });
  });
}

/** Runs `node dist/src/main.js` to its exit (a start that must fail); resolves with the exit code and output. */
export function runPlatformToExit(env: Record<string, string>, timeoutMs = 60_000, user?: string): Promise<{ code: number | null; lines: string[] }> {
  return startPlatform(env, timeoutMs, user).then(
    async (platform) => {
      await platform.stop();
      return { code: 0, lines: platform.lines };
    },
    (error: Error & { lines?: string[] }) => ({ code: Number(/exited \((\d+)/.exec(error.message)?.[1] ?? -1), lines: error.lines ?? [error.message] }),
  );
}

/** Wall-clock helper: runs `fn` and returns its result and the elapsed milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}
