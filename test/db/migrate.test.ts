import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client.js';
import { migrate, readMigrations } from '../../src/db/migrate.js';
import { backends, createTestDatabase, databaseUrl, type TestDatabase } from '../helpers/db.js';

const TABLES = [
  'users', 'api_keys', 'refresh_tokens', 'audit_log', 'provider_accounts', 'sims', 'sim_usage', 'usage_records',
  'sim_quotas', 'sim_connectivity', 'sim_events', 'sms_messages', 'orders', 'order_items', 'products',
  'support_tickets', 'alert_rules', 'alerts', 'webhook_subscriptions', 'webhook_deliveries', 'bulk_jobs',
  'bulk_job_items', 'idempotency_keys', 'job_runs',
];

describe.each(backends)('migrations on %s', (backend) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  it('creates the whole schema, and a second run applies nothing', async () => {
    t = await createTestDatabase(backend);
    const { rows } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = current_schema()`.execute(t.database.db);
    expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(TABLES));
    const again = await migrate(t.database);
    expect(again).toEqual({ applied: [], alreadyApplied: readMigrations().length });
  });

  it('makes the audit log append-only at the database level', async () => {
    t = await createTestDatabase(backend);
    const db = t.database.db;
    await db
      .insertInto('audit_log')
      .values({ actor_type: 'system', action: 'test.write', outcome: 'success' })
      .execute();
    await expect(db.updateTable('audit_log').set({ action: 'tampered' }).execute()).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`.execute(db)).rejects.toThrow(/append-only/);
    const rows = await db.selectFrom('audit_log').select('action').execute();
    expect(rows).toEqual([{ action: 'test.write' }]);
  });

  it('keeps byte counts as integers and money as exact decimals', async () => {
    t = await createTestDatabase(backend);
    const db = t.database.db;
    const account = await db
      .insertInto('provider_accounts')
      .values({ name: 'default', api_url: 'http://x', client_id: 'id', secret_ciphertext: 'v1:abc', is_default: true })
      .returning('id')
      .executeTakeFirstOrThrow();
    const sim = await db
      .insertInto('sims')
      .values({ account_id: account.id, iccid: '8988280666000000001', status: 'Enabled', data_total_bytes: 524_288_000, data_remaining_bytes: 104_857_600 })
      .returning(['id', 'data_total_bytes', 'data_remaining_pct'])
      .executeTakeFirstOrThrow();
    expect(sim.data_total_bytes).toBe(524_288_000);
    expect(Number(sim.data_remaining_pct)).toBe(20);
    // An ICCID with a letter or the wrong length never gets in.
    await expect(
      db.insertInto('sims').values({ account_id: account.id, iccid: '898828066600000000X', status: 'Enabled' }).execute(),
    ).rejects.toThrow();
    // Idempotent daily usage upsert on (sim, day).
    for (let i = 0; i < 2; i++) {
      await db
        .insertInto('sim_usage')
        .values({ sim_id: sim.id, day: '2026-11-01', data_rx_bytes: 10, data_tx_bytes: 5, data_total_bytes: 15, sms_mo: 1, sms_mt: 0, source: 'poll' })
        .onConflict((oc) => oc.columns(['sim_id', 'day']).doUpdateSet({ data_total_bytes: 15 }))
        .execute();
    }
    const usage = await db.selectFrom('sim_usage').selectAll().execute();
    expect(usage).toHaveLength(1);
    expect(usage[0]!.day).toBe('2026-11-01');
    const order = await db
      .insertInto('orders')
      .values({ account_id: account.id, order_number: '2000000001', order_type: 'TOPUP', status: 'COMPLETED', invoice_amount: '19.99', currency: 'EUR' })
      .returning('invoice_amount')
      .executeTakeFirstOrThrow();
    expect(order.invoice_amount).toBe('19.99');
  });
});

describe('migration runner', () => {
  it('refuses a migration that was edited after it was applied', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'simfleet-mig-'));
    const database = await createDb({ databaseUrl: undefined, dataDir: dir });
    try {
      writeFileSync(path.join(dir, '0001_a.sql'), 'create table a (id int);');
      expect((await migrate(database, readMigrations(dir))).applied).toEqual(['0001_a']);
      writeFileSync(path.join(dir, '0001_a.sql'), 'create table a (id bigint);');
      await expect(migrate(database, readMigrations(dir))).rejects.toThrow(/edited after it was applied/);
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rolls back a failing migration completely and names it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'simfleet-mig-'));
    const database = await createDb({ databaseUrl: undefined, dataDir: dir });
    try {
      writeFileSync(path.join(dir, '0001_ok.sql'), 'create table ok (id int);');
      writeFileSync(path.join(dir, '0002_bad.sql'), 'create table half (id int); select * from no_such_table;');
      await expect(migrate(database, readMigrations(dir))).rejects.toThrow(/0002_bad failed/);
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from information_schema.tables where table_name = 'half'`.execute(database.db);
      expect(rows[0]!.n).toBe(0);
      const applied = await sql<{ version: string }>`select version from schema_migrations`.execute(database.db);
      expect(applied.rows).toEqual([{ version: '0001' }]);
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps embedded data across a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'simfleet-persist-'));
    try {
      const first = await createDb({ databaseUrl: undefined, dataDir: dir });
      await migrate(first);
      await first.db.insertInto('users').values({ username: 'kept', email: 'kept@example.com', password_hash: 'x', role: 'viewer' }).execute();
      await first.close();
      const second = await createDb({ databaseUrl: undefined, dataDir: dir });
      expect((await migrate(second)).applied).toEqual([]);
      const users = await second.db.selectFrom('users').select('username').execute();
      expect(users).toEqual([{ username: 'kept' }]);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(databaseUrl === undefined ? [] : ['postgres'])('concurrent start-up on %s', () => {
  it('lets replicas migrate at the same time without racing', async () => {
    const t = await createTestDatabase('postgres');
    try {
      // A fresh schema that nobody migrated yet, shared by three "replicas".
      const schema = `${t.schema!}_race`;
      await sql.raw(`create schema ${schema}`).execute(t.database.db);
      const replicas = await Promise.all(
        [0, 1, 2].map(() => createDb({ databaseUrl: databaseUrl!, dataDir: '', poolMax: 2, searchPath: schema })),
      );
      try {
        const results = await Promise.all(replicas.map((r) => migrate(r)));
        const appliedCounts = results.map((r) => r.applied.length).sort();
        expect(appliedCounts).toEqual([0, 0, readMigrations().length]);
      } finally {
        await Promise.all(replicas.map((r) => r.close()));
        await sql.raw(`drop schema ${schema} cascade`).execute(t.database.db);
      }
    } finally {
      await t.cleanup();
    }
  });
});
