import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A running platform (the real `src/main.ts` in its own process, demo mode) meets a promise that
 * rejects with nobody handling it: the process logs it with secrets redacted, counts it, and keeps
 * serving. An uncaught exception drains the process and exits it with code 1, for a restart.
 */
const SECRET = 'hunter2-do-not-log';
const FIXTURE = path.resolve('test/e2e/fixtures/fail-on-command.ts');

describe('process-level error policy', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-guards-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('survives unhandled rejections (logged, redacted, counted); exits 1 after draining on an uncaught exception', { timeout: 180_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', FIXTURE, 'src/main.ts'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SIMULATOR_PORT: '0', SIMULATOR_FLEET_SIZE: '20' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const waiters = new Set<() => void>();
    const onData = (chunk: Buffer) => {
      lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      for (const w of waiters) w();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const waitFor = (test: (lines: string[]) => boolean, what: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!test(lines)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}:\n${lines.slice(-10).join('\n')}`)), 120_000);
        waiters.add(check);
        check();
      });
    try {
      await waitFor((l) => l.some((x) => x.includes('"simfleet is ready"')), 'ready');
      const { url } = JSON.parse(lines.find((x) => x.includes('"simfleet is ready"'))!) as { url: string };

      child.stdin.write('reject\n');
      child.stdin.write('reject\n');
      const rejections = (l: string[]) => l.filter((x) => x.includes('unhandled promise rejection'));
      await waitFor((l) => rejections(l).length === 2, 'two logged rejections');

      expect(child.exitCode).toBeNull();
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^simfleet_process_unhandled_rejections_total 2$/m);
      const logged = JSON.parse(rejections(lines)[0]!) as { level: string; err: { message: string } };
      expect(logged.level).toBe('error');
      expect(logged.err.message).toContain('could not connect to postgres://simfleet:[redacted]@db.internal');
      expect(lines.join('\n')).not.toContain(SECRET);

      child.stdin.write('throw\n');
      expect(await exited).toBe(1);
      expect(lines.some((x) => x.includes('uncaught exception: draining and exiting'))).toBe(true);
      expect(lines.join('\n')).not.toContain(SECRET);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
