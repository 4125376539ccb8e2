import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startPlatform } from '../../src/server.js';

/** Runs `src/main.ts` the way `npm start` runs the built file, and collects its JSON log lines. */
function startProcess(env: Record<string, string>): { child: ChildProcess; lines: string[]; waitFor: (re: RegExp, ms?: number) => Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const waitFor = (re: RegExp, ms = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const hit = lines.find((l) => re.test(l));
        if (hit !== undefined) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${re}; output:\n${lines.join('\n')}`));
      }, ms);
      listeners.add(check);
      check();
    });
  return { child, lines, waitFor };
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

describe('npm start (zero configuration, demo mode)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-e2e-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SIMULATOR_PORT: '0', SIMULATOR_FLEET_SIZE: '50' };

  it('becomes ready, says it runs in demo mode, and stops cleanly on SIGTERM', async () => {
    const started = Date.now();
    const proc = startProcess(env);
    try {
      const ready = JSON.parse(await proc.waitFor(/simfleet is ready/)) as { url: string };
      expect(proc.lines.some((l) => l.includes('DEMO MODE'))).toBe(true);
      const res = await fetch(`${ready.url}/health/ready`);
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(proc.lines.every((l) => l.startsWith('{'))).toBe(true);
    } finally {
      proc.child.kill('SIGTERM');
    }
    expect(await exitCode(proc.child)).toBe(0);
    expect(proc.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);

    // Second start on the same DATA_DIR: the schema (and data) are still there.
    const again = startProcess(env);
    try {
      await again.waitFor(/simfleet is ready/);
      expect(again.lines.some((l) => l.includes('database schema up to date'))).toBe(true);
      expect(again.lines.some((l) => l.includes('generated a JWT signing secret'))).toBe(false);
    } finally {
      again.child.kill('SIGINT');
    }
    expect(await exitCode(again.child)).toBe(0);
    // Two full starts and stops of a real process; each start is still held to its own 30 s above.
  }, 120_000);

  it('refuses invalid configuration with one message listing every problem', async () => {
    const proc = startProcess({ ...env, PORT: 'x', ROLE: 'boss', LOG_LEVEL: 'loud' });
    expect(await exitCode(proc.child)).toBe(1);
    const output = proc.lines.join('\n');
    expect(output).toContain('Invalid configuration');
    for (const name of ['PORT', 'ROLE', 'LOG_LEVEL']) expect(output).toContain(`- ${name}`);
  });
});

describe('demo mode wiring', () => {
  it('registers the simulator as the default provider account and reaches it through the client', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-demo-'));
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SIMULATOR_PORT: '0', SIMULATOR_FLEET_SIZE: '30', LOG_LEVEL: 'silent' });
    const platform = await startPlatform(config, createLogger(config));
    try {
      const accountId = await platform.deps.accounts.defaultAccountId();
      expect(accountId).toEqual(expect.any(String));
      const row = await platform.deps.database.db.selectFrom('provider_accounts').selectAll().executeTakeFirstOrThrow();
      expect(row.secret_ciphertext).not.toContain('demo-secret');
      const client = await platform.deps.provider.get(accountId!);
      const page = await client.listSimsPage(1, { pageSize: 10 });
      expect(page.items).toHaveLength(10);
      expect(page.items[0]!.iccid).toMatch(/^\d{19}$/);
    } finally {
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
