/**
 * The embedded database (PGlite under DATA_DIR) on a directory it cannot write, and on a full disk,
 * with the real built server: the start fails at once with one clear sentence (no stack of Emscripten
 * errnos), nothing in the directory is damaged, and once the cause is gone the next start works
 * with every row intact. The full disk is a small tmpfs (root only); the unwritable directory is
 * chmod 0555 with the server run as `nobody` when the test runs as root.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordFigures } from './figures.js';
import { runPlatformToExit, startPlatform, timed } from './processes.js';

const PASSWORD = 'violet-Harbor-kettle-42';
const isRoot = process.getuid?.() === 0;
const figures: Record<string, unknown> = {};
const cleanups: Array<() => void> = [];

afterAll(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

/** A platform environment on PGlite in `dataDir` (demo mode, admin from the environment). */
function envFor(dataDir: string): Record<string, string> {
  return { DATA_DIR: dataDir, ROLE: 'api', SIMULATOR_PORT: '0', SIMULATOR_FLEET_SIZE: '20', ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: PASSWORD };
}

async function login(url: string): Promise<number> {
  const response = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
  await response.arrayBuffer();
  return response.status;
}

/** Fills the filesystem of `dir` until a write fails; returns the filler's path. */
function fill(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(1_048_576, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch {
    // ENOSPC: the disk is full.
  } finally {
    closeSync(fd);
  }
  // The last partial megabyte as well.
  const tail = openSync(file, 'a');
  try {
    for (;;) writeSync(tail, Buffer.alloc(4096, 1));
  } catch {
    // Full to the byte.
  } finally {
    closeSync(tail);
  }
  return file;
}

describe('PGlite data directory unwritable', () => {
  it('stops at once with a clear error, changes nothing, and the next start works', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-chaos-ro-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    chmodSync(dataDir, 0o555);
    const user = isRoot ? 'nobody' : undefined;
    const refused = await timed(() => runPlatformToExit(envFor(dataDir), 60_000, user));
    expect(refused.value.code).toBe(1);
    const said = refused.value.lines.join('\n');
    expect(said).toMatch(/embedded database directory .* is not writable by this user/);
    expect(said).not.toMatch(/ErrnoError|\n\s+at /);
    expect(readdirSync(dataDir)).toEqual([]);

    chmodSync(dataDir, 0o777);
    const platform = await startPlatform(envFor(dataDir), 90_000, user);
    try {
      expect(await login(platform.url)).toBe(200);
    } finally {
      await platform.stop();
    }
    figures.unwritable = { refusedInMs: Math.round(refused.ms), exitCode: refused.value.code, message: said.split('\n').find((l) => l.includes('embedded database directory')), nextStart: 'ok' };
  });
});

const canMount = isRoot && spawnSync('sh', ['-c', 'command -v mount'], { encoding: 'utf8' }).status === 0;

describe.each(canMount ? ['tmpfs'] : [])('PGlite data directory on a full disk (%s)', () => {
  it('refuses to start on a full disk without damage; after space is freed the data is intact', { timeout: 180_000 }, async () => {
    const mountPoint = mkdtempSync(path.join(tmpdir(), 'simfleet-chaos-full-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=160m', 'tmpfs', mountPoint]);
    if (mounted.status !== 0) {
      console.warn(`SKIPPED: cannot mount a tmpfs here (${mounted.stderr.toString().trim()})`);
      rmSync(mountPoint, { recursive: true, force: true });
      return;
    }
    cleanups.push(() => {
      spawnSync('umount', [mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    });
    chmodSync(mountPoint, 0o777);

    // A working installation with data in it.
    const first = await startPlatform(envFor(mountPoint), 90_000);
    let keyId = '';
    try {
      const token = ((await (await fetch(`${first.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) })).json()) as { access_token: string }).access_token;
      const created = await fetch(`${first.url}/api/v1/auth/api-keys`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'survives-full-disk' }) });
      expect(created.status).toBe(201);
      keyId = String(((await created.json()) as { id: string | number }).id);
    } finally {
      await first.stop();
    }

    // The disk fills up while the platform is down.
    const filler = fill(mountPoint);
    const refused = await timed(() => runPlatformToExit(envFor(mountPoint), 60_000));
    expect(refused.value.code).toBe(1);
    const said = refused.value.lines.join('\n');
    expect(said).toMatch(/embedded database directory .* is on a full disk/);
    expect(said).not.toMatch(/ErrnoError|\n\s+at /);

    // Space comes back: the next start works and the data written before is all there.
    rmSync(filler);
    const next = await startPlatform(envFor(mountPoint), 90_000);
    try {
      const token = ((await (await fetch(`${next.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) })).json()) as { access_token: string }).access_token;
      const keys = await fetch(`${next.url}/api/v1/auth/api-keys`, { headers: { authorization: `Bearer ${token}` } });
      expect(keys.status).toBe(200);
      const body = JSON.stringify(await keys.json());
      expect(body).toContain('survives-full-disk');
      expect(body).toContain(keyId);
    } finally {
      await next.stop();
    }
    figures.fullDisk = { refusedInMs: Math.round(refused.ms), exitCode: refused.value.code, message: said.split('\n').find((l) => l.includes('embedded database directory')), dataIntactAfterRestart: true };
  });
});

describe('PGlite storage chaos', () => {
  it('records its figures (the full-disk part needs root to mount a tmpfs)', () => {
    if (!canMount) console.warn('SKIPPED: the full-disk PGlite test needs root (mount -t tmpfs)');
    // CI (.ci/run) sets REQUIRE_CHAOS_TOOLS=1: there a missing tool fails instead of skipping.
    if (process.env.REQUIRE_CHAOS_TOOLS === '1') expect(canMount, 'REQUIRE_CHAOS_TOOLS=1 but a tmpfs cannot be mounted').toBe(true);
    recordFigures('pglite-storage', figures);
    expect(figures.unwritable).toBeDefined();
  });
});
