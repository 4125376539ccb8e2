import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/logger.js';
import { startPlatform, type Platform } from '../../../src/server.js';
import { createFleet, type Profile } from '../../../src/simulator/fleet.js';
import type { TestApp } from '../../helpers/app.js';
import { authHeaders } from '../../helpers/auth.js';

/**
 * Demo mode as `npm start` runs it (in process): the simulator's runaway and silent SIMs show up as
 * alerts with a diagnosis within the first fleet sweep, and every state the simulator can put a SIM
 * in gets the diagnosis that fits it.
 */

const FLEET = 80;
const SWEEP_BUDGET_MS = 240_000;

describe('demo mode: runaway and silent SIMs within one sweep', { timeout: SWEEP_BUDGET_MS + 60_000 }, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-intel-demo-'));
  let platform: Platform;
  let viewer: Record<string, string>;
  const fleet = createFleet({ seed: 1, size: FLEET, epochMs: 0 });
  const first = (profile: Profile) => {
    for (let i = 0; i < FLEET; i++) if (fleet.sim(i).profile === profile) return fleet.sim(i).iccid;
    throw new Error(`no ${profile} SIM in the demo fleet`);
  };

  beforeAll(async () => {
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SIMULATOR_PORT: '0', SIMULATOR_FLEET_SIZE: String(FLEET), SIMULATOR_SEED: '1', LOG_LEVEL: 'silent' });
    expect(config.demoMode).toBe(true);
    platform = await startPlatform(config, createLogger(config));
    viewer = await authHeaders({ app: platform.app, deps: platform.deps } as unknown as TestApp, 'viewer');
    // The first sweep is queued at start-up; wait for it (and for the alert evaluations it triggers).
    const db = platform.deps.database.db;
    const started = Date.now();
    for (;;) {
      const run = await db.selectFrom('job_runs').select('outcome').where('job_name', '=', 'sync-sims').where('outcome', '<>', 'running').executeTakeFirst();
      if (run !== undefined) {
        expect(run.outcome).toBe('success');
        break;
      }
      if (Date.now() - started > SWEEP_BUDGET_MS) throw new Error('the first sweep did not finish in time');
      await new Promise((r) => setTimeout(r, 500));
    }
    await platform.deps.alertTrigger.flush();
  }, SWEEP_BUDGET_MS + 30_000);
  afterAll(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const alerts = async (metric: string) => {
    const res = await platform.app.inject({ method: 'GET', url: `/api/v1/alerts?metric=${metric}&page_size=500`, headers: viewer });
    expect(res.statusCode).toBe(200);
    return res.json<{ items: Array<{ iccid: string; message: string }> }>().items;
  };
  const diagnosis = async (iccid: string) => {
    const res = await platform.app.inject({ method: 'GET', url: `/api/v1/sims/${iccid}/diagnosis`, headers: viewer });
    expect(res.statusCode).toBe(200);
    return res.json<{ verdict: string; code: string; headline: string; next_step: string; reasons: Array<{ code: string }> }>();
  };

  it('raises a usage spike for the runaway SIM, and diagnoses it', async () => {
    const runaway = first('runaway');
    expect((await alerts('usage_spike')).map((a) => a.iccid)).toContain(runaway);
    const d = await diagnosis(runaway);
    expect(d).toMatchObject({ verdict: 'attention', code: 'usage_spike' });
    expect(d.headline).toMatch(/^Usage spike: [\d.]+ MiB in a day, [\d.]+x the SIM's usual/);
  });

  it('raises silence for the silent SIM, and diagnoses it (attached, no data)', async () => {
    const silent = first('silent');
    expect((await alerts('silence_hours')).map((a) => a.iccid)).toContain(silent);
    const d = await diagnosis(silent);
    expect(d.verdict).toBe('attention');
    expect(d.reasons.map((r) => r.code)).toEqual(expect.arrayContaining([expect.stringMatching(/^(attached_no_data|silent)$/)]));
    expect(d.headline).toMatch(/^(Attached, no data session for \d+ h: check the APN|Silent for \d+ h)/);
  });

  it('diagnoses every other state of the simulated fleet', async () => {
    expect(await diagnosis(first('exhausted'))).toMatchObject({ verdict: 'problem', code: 'data_exhausted', next_step: 'Top up the SIM (POST /sims/{iccid}/topup)' });
    expect(await diagnosis(first('disabled'))).toMatchObject({ verdict: 'problem', code: 'disabled', headline: 'The SIM is disabled' });
    const nearly = await diagnosis(first('nearly_exhausted'));
    expect(nearly.reasons.map((r) => r.code)).toContain('quota_low');
    expect(nearly.verdict).toBe('attention');
    const expired = await diagnosis(first('expired'));
    expect(expired.verdict).not.toBe('ok');
    const idle = await diagnosis(first('idle'));
    expect(['ok', 'unknown']).toContain(idle.verdict);
    for (const profile of ['steady', 'heavy'] as const) {
      const d = await diagnosis(first(profile));
      expect(['ok', 'attention'], `${profile}: ${d.headline}`).toContain(d.verdict);
      expect(['ok', 'offline', 'attached_no_data', 'quota_low', 'quota_forecast', 'new_country'], `${profile}: ${d.headline}`).toContain(d.code);
    }
  });
});
