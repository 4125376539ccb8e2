import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startPlatform, type Platform } from '../../src/server.js';
import { ROOT, findTools, requireTools } from './tools.js';

/**
 * scripts/backup.sh and scripts/restore.sh on a real PostgreSQL: a platform fills a database, it is
 * backed up, restored into a fresh database, and a platform started on the copy serves the same fleet.
 */
const databaseUrl = process.env.TEST_DATABASE_URL || undefined;
if (databaseUrl === undefined) {
  const message = 'backup/restore test: TEST_DATABASE_URL is not set (it needs a real PostgreSQL)';
  if (requireTools) throw new Error(`REQUIRE_DEPLOY_TOOLS=1 but ${message}`);
  process.stderr.write(`\n${'!'.repeat(100)}\n!!! SKIPPING ${message}\n${'!'.repeat(100)}\n\n`);
}
const tools = databaseUrl === undefined ? undefined : findTools('backup/restore test', ['pg_dump', 'pg_restore', 'psql', 'sha256sum'] as const);

const ADMIN = { username: 'backup-admin', password: 'backup-test-password-0123456789' };
const SECRETS = { JWT_SECRET: 'backup-test-jwt-secret-0123456789abcdefghijkl', ENCRYPTION_KEY: 'backup-test-encryption-key-0123456789abcdefgh' };

function databaseAt(name: string): string {
  const url = new URL(databaseUrl!);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function script(name: string, args: string[], env: Record<string, string>) {
  const result = spawnSync('bash', [path.join(ROOT, 'scripts', name), ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function start(dbUrl: string, dataDir: string): Promise<Platform> {
  const config = loadConfig({
    DATABASE_URL: dbUrl,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    SIMULATOR_PORT: '0',
    SIMULATOR_FLEET_SIZE: '25',
    LOG_LEVEL: 'silent',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    ...SECRETS,
  });
  return startPlatform(config, createLogger(config));
}

/** The fleet as an API client sees it: every SIM's ICCID, status and tags, in ICCID order. */
async function fleetOf(platform: Platform): Promise<{ iccid: string; status: string; tags: string[] }[]> {
  const login = await fetch(`${platform.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  expect(login.status).toBe(200);
  const { access_token: token } = (await login.json()) as { access_token: string };
  const res = await fetch(`${platform.url}/api/v1/sims?page_size=500&sort=iccid`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const page = (await res.json()) as { items: { iccid: string; status: string; tags: string[] }[] };
  return page.items.map((s) => ({ iccid: s.iccid, status: s.status, tags: s.tags }));
}

describe.skipIf(databaseUrl === undefined || tools === undefined)('backup and restore on PostgreSQL', () => {
  const suffix = randomBytes(5).toString('hex');
  const source = `simfleet_backup_${suffix}`;
  const restored = `simfleet_restored_${suffix}`;
  const work = mkdtempSync(path.join(tmpdir(), 'simfleet-backup-'));
  const backupDir = path.join(work, 'backups');
  let original: { iccid: string; status: string; tags: string[] }[] = [];
  let platform: Platform | undefined;

  beforeAll(async () => {
    await admin(async (c) => {
      await c.query(`create database ${source}`);
      await c.query(`create database ${restored}`);
    });
    platform = await start(databaseAt(source), path.join(work, 'data-1'));
    // The first sweep (queued at start-up) stores the simulator's fleet.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const n = Number((await platform.deps.database.db.selectFrom('sims').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
      if (n === 25) break;
      if (Date.now() > deadline) throw new Error(`first sweep stored ${n} of 25 SIMs`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Our own data (tags are never overwritten by 1NCE) proves the copy is this database, not a new sweep.
    await platform.deps.database.db.updateTable('sims').set({ tags: ['backed-up', suffix] }).execute();
    original = await fleetOf(platform);
    await platform.stop();
    platform = undefined;
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    await admin(async (c) => {
      await c.query(`drop database if exists ${source} with (force)`);
      await c.query(`drop database if exists ${restored} with (force)`);
    });
    rmSync(work, { recursive: true, force: true });
  });

  it('backs up, keeps the newest and drops expired backups, restores into a fresh database that serves the same fleet', async () => {
    expect(original).toHaveLength(25);
    expect(original.every((s) => s.tags.includes(suffix))).toBe(true);

    // Two expired backups and one recent one already there: with BACKUP_KEEP_MIN=2 the newest two stay.
    const day = 86_400_000;
    const seed = (name: string, ageDays: number) => {
      const file = path.join(backupDir, name);
      writeFileSync(file, 'old');
      const at = new Date(Date.now() - ageDays * day);
      utimesSync(file, at, at);
    };
    spawnSync('mkdir', ['-p', backupDir]);
    seed('simfleet-20200101T000000Z.dump', 40);
    seed('simfleet-20200102T000000Z.dump', 30);
    seed('simfleet-20200103T000000Z.dump', 1);

    const backup = script('backup.sh', [], { DATABASE_URL: databaseAt(source), BACKUP_DIR: backupDir, BACKUP_RETENTION_DAYS: '14', BACKUP_KEEP_MIN: '2' });
    expect(backup.status, backup.stderr).toBe(0);
    const file = backup.stdout.trim();
    expect(file).toMatch(/simfleet-\d{8}T\d{6}Z\.dump$/);
    expect(readdirSync(backupDir).sort()).toEqual([path.basename(file), `${path.basename(file)}.sha256`, 'simfleet-20200103T000000Z.dump'].sort());

    // A database with tables is not overwritten by accident.
    const refused = script('restore.sh', [file], { DATABASE_URL: databaseAt(source) });
    expect(refused.status).toBe(4);

    const restore = script('restore.sh', [file], { DATABASE_URL: databaseAt(restored) });
    expect(restore.status, restore.stderr).toBe(0);

    platform = await start(databaseAt(restored), path.join(work, 'data-2'));
    expect(await fleetOf(platform)).toEqual(original);
  }, 180_000);

  it('refuses a backup whose checksum does not match', () => {
    const dump = readdirSync(backupDir).find((f) => /^simfleet-\d{8}T\d{6}Z\.dump$/.test(f) && !f.startsWith('simfleet-2020'))!;
    const copy = path.join(work, 'tampered.dump');
    spawnSync('cp', [path.join(backupDir, dump), copy]);
    writeFileSync(`${copy}.sha256`, `${'0'.repeat(64)}  tampered.dump\n`);
    const result = script('restore.sh', [copy], { DATABASE_URL: databaseAt(restored) });
    expect(result.status).toBe(3);
  });
});
