import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { activeSim, sweepFleet } from '../modules/sims/fixtures.js';

/** The operator CLI as a script runs it: a child process against a platform listening on a port; output and exit codes. */

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run cli -- <args>` (without npm's banner) with the client environment. */
function cli(args: string[], env: Record<string, string>, onSpawn?: () => Promise<void>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.on('error', reject);
    void onSpawn?.().catch(reject);
  });
}

// Every command is a fresh Node process (about a second each, more on a busy machine).
describe('operator CLI against a running platform', { timeout: 180_000 }, () => {
  let t: TestApp;
  let origin: string;
  let viewer: Record<string, string>;
  let operator: Record<string, string>;
  let dir: string;
  let iccids: string[];
  const FLEET = 25;

  beforeAll(async () => {
    t = await buildTestApp({ simulator: { fleetSize: FLEET }, env: { API_RATE_LIMIT_RPS: '100000' } });
    await sweepFleet(t);
    origin = await t.app.listen({ port: 0, host: '127.0.0.1' });
    viewer = { SIMFLEET_URL: origin, SIMFLEET_API_KEY: (await authHeaders(t, 'viewer'))['x-api-key']! };
    operator = { SIMFLEET_URL: origin, SIMFLEET_API_KEY: (await authHeaders(t, 'operator'))['x-api-key']! };
    iccids = (await t.deps.database.db.selectFrom('sims').select('iccid').orderBy('iccid').execute()).map((r) => r.iccid);
    dir = mkdtempSync(path.join(tmpdir(), 'simfleet-cli-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  it('lists SIMs with the API filters as JSON, a table and CSV (every page with --all)', async () => {
    const json = await cli(['sims', 'list', '--status', 'Enabled', '--page-size', '5', '--sort=-iccid', '--format', 'json'], viewer);
    expect(json.code, json.stderr).toBe(0);
    const page = JSON.parse(json.stdout) as { items: Array<{ iccid: string; status: string }>; total: number };
    const rest = (await t.app.inject({ method: 'GET', url: '/api/v1/sims?status=Enabled&page_size=5&sort=-iccid', headers: await authHeaders(t, 'viewer') })).json();
    expect(page.items.map((s) => s.iccid)).toEqual(rest.items.map((s: { iccid: string }) => s.iccid));
    expect(page.total).toBe(rest.total);

    const table = await cli(['sims', 'list', '--page-size', '3'], viewer);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ICCID\s+LABEL\s+STATUS\s+CONNECTIVITY/);
    expect(lines).toHaveLength(4);
    expect(table.stderr).toContain(`${FLEET} SIMs`);

    const csv = await cli(['sims', 'list', '--all', '--output', 'csv'], viewer);
    expect(csv.code).toBe(0);
    const rows = csv.stdout.trimEnd().split('\r\n');
    expect(rows[0]).toBe('iccid,label,status,connectivity,data_left_pct,data_left_bytes,tags,last_seen_at');
    expect(rows.slice(1).map((r) => r.split(',')[0])).toEqual(iccids);
  });

  it('shows one SIM; a missing SIM exits 4, a malformed ICCID 2', async () => {
    const shown = await cli(['sims', 'show', iccids[0]!, '--format', 'json'], viewer);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ iccid: iccids[0] });
    const table = await cli(['sims', 'show', iccids[0]!], viewer);
    expect(table.stdout).toMatch(new RegExp(`^iccid\\s+${iccids[0]}$`, 'm'));
    const missing = await cli(['sims', 'show', '8988280666999999999'], viewer);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/sim_not_found/);
    const malformed = await cli(['sims', 'show', '12'], viewer);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/invalid_iccid/);
  });

  it('exits 2 on usage errors, 3 on credential and role refusals, 5 when the platform cannot be reached', async () => {
    // Independent runs, started together (each is a Node process).
    const [option, command, format, top, filtered, noKey, badKey, role, down, help] = await Promise.all([
      cli(['sims', 'list', '--colour', 'red'], viewer),
      cli(['sims', 'teleport'], viewer),
      cli(['sims', 'list', '--format', 'xml'], viewer),
      cli(['frobnicate'], viewer),
      cli(['sims', 'list', '--connectivity', 'SLEEPING'], viewer),
      cli(['sims', 'list'], { SIMFLEET_URL: origin }),
      cli(['sims', 'list'], { SIMFLEET_URL: origin, SIMFLEET_API_KEY: 'sfk_wrong' }),
      cli(['sims', 'sync', iccids[0]!], viewer),
      cli(['sims', 'list'], { SIMFLEET_URL: 'http://127.0.0.1:9', SIMFLEET_API_KEY: 'sfk_any' }),
      cli(['help'], {}),
    ]);
    expect([option.code, command.code, format.code, top.code]).toEqual([2, 2, 2, 2]);
    expect(option.stderr).toMatch(/--colour/);
    expect(filtered.code).toBe(2);
    expect(filtered.stderr).toMatch(/querystring\.connectivity/);
    expect(noKey.code).toBe(3);
    expect(noKey.stderr).toMatch(/SIMFLEET_API_KEY/);
    expect(badKey.code).toBe(3);
    expect(role.code).toBe(3);
    expect(role.stderr).toMatch(/insufficient_role/);
    expect(down.code).toBe(5);
    expect(down.stderr).toMatch(/cannot reach/);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes/);
  });

  it('exports CSV to a file and NDJSON to stdout', async () => {
    const file = path.join(dir, 'sims.csv');
    const csv = await cli(['sims', 'export', '--status', 'Enabled', '--file', file], viewer);
    expect(csv.code, csv.stderr).toBe(0);
    const enabled = await t.deps.database.db.selectFrom('sims').select('iccid').where('status', '=', 'Enabled').execute();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]!.startsWith('iccid,')).toBe(true);
    expect(lines).toHaveLength(enabled.length + 1);
    expect(csv.stderr).toContain(`exported ${enabled.length} SIMs`);
    const ndjson = await cli(['sims', 'export', '--format', 'ndjson'], viewer);
    expect(ndjson.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { iccid: string }).iccid)).toEqual(iccids);
    expect((await cli(['sims', 'export', '--file', path.join(dir, 'missing', 'x.csv')], viewer)).code).toBe(4);
  });

  it('imports labels and tags from CSV (dry run first), syncs a SIM, and refuses a missing file with 4', async () => {
    const file = path.join(dir, 'labels.csv');
    const pump = (await activeSim(t, { order: 'desc' })).iccid;
    writeFileSync(file, `iccid,label,tags\n${pump},Pump 4,cli;pumps\n`);
    const dry = await cli(['sims', 'import', file, '--dry-run', '--format', 'json'], operator);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ applied: false, total: 1, updated: 1 });
    const applied = await cli(['sims', 'import', file], operator);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/^applied\s+true$/m);
    const stored = await t.deps.database.db.selectFrom('sims').select(['label', 'tags']).where('iccid', '=', pump).executeTakeFirstOrThrow();
    expect(stored).toEqual({ label: 'Pump 4', tags: ['cli', 'pumps'] });
    const audited = await t.deps.database.db.selectFrom('audit_log').select('user_agent').where('action', '=', 'sims.import').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(audited.user_agent).toMatch(/^simfleet-cli\//);
    writeFileSync(file, `iccid,label,tags\nnot-an-iccid,x,\n`);
    const invalid = await cli(['sims', 'import', file], operator);
    expect(invalid.code).toBe(2);
    expect((await cli(['sims', 'import', path.join(dir, 'nope.csv')], operator)).code).toBe(4);

    const synced = await cli(['sims', 'sync', pump, '--format', 'json'], operator);
    expect(synced.code, synced.stderr).toBe(0);
    expect(JSON.parse(synced.stdout)).toMatchObject({ sim: { iccid: pump } });
  });

  it('runs a bulk action: dry run, then a job followed to its end (exit 0), and 6 when SIMs failed', async () => {
    const sim = (await activeSim(t)).iccid;
    const dry = await cli(['sims', 'bulk', 'add_tag', 'cli-bulk', '--iccid', `${sim},${iccids[5]}`, '--dry-run', '--format', 'json'], operator);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, total: 2, valid: 2 });

    /** Runs the job the CLI just created (the test app has no job engine running). */
    const runJob = async () => {
      for (let i = 0; i < 200; i += 1) {
        const job = await t.deps.database.db.selectFrom('bulk_jobs').select(['id', 'status']).where('status', '=', 'queued').executeTakeFirst();
        if (job !== undefined) {
          await t.deps.bulkRunner.run(job.id);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('the CLI created no bulk job');
    };
    const ok = await cli(['sims', 'bulk', 'add_tag', 'cli-bulk', '--iccid', sim, '--iccid', iccids[5]!, '--format', 'json'], operator, runJob);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: 'completed', succeeded: 2, failed: 0 });
    const tags = await t.deps.database.db.selectFrom('sims').select('tags').where('iccid', 'in', [sim, iccids[5]!]).execute();
    expect(tags.every((r) => r.tags.includes('cli-bulk'))).toBe(true);

    const partly = await cli(['sims', 'bulk', 'remove_tag', 'cli-bulk', '--iccid', `${sim},8988280666999999999`], operator, runJob);
    expect(partly.code).toBe(6);
    expect(partly.stdout).toMatch(/^failed\s+1$/m);

    const status = await cli(['sims', 'bulk', 'status', JSON.parse(ok.stdout).id as string], viewer);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^status\s+completed$/m);
    expect((await cli(['sims', 'bulk', 'explode', '--iccid', sim], operator)).code).toBe(2);
    expect((await cli(['sims', 'bulk', 'enable'], operator)).code).toBe(2);
    expect((await cli(['sims', 'bulk', 'enable', '--iccid', sim, '--quota-below', 'lots'], operator)).code).toBe(2);
  });
});
