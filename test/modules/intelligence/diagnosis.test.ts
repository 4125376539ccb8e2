import { describe, expect, it } from 'vitest';
import { diagnose, type DiagnosisFacts } from '../../../src/modules/intelligence/diagnosis.js';

/** Every verdict the diagnosis can give, from facts alone. */
const now = new Date('2026-11-27T12:00:00Z');
const MIB = 1_048_576;
const base: DiagnosisFacts = {
  iccid: '8988280666000000019',
  status: 'Enabled',
  imei: '490154203237518',
  imeiLock: false,
  connectivity: 'ONLINE',
  lastSeenAt: new Date('2026-11-27T11:50:00Z'),
  lastSyncedAt: new Date('2026-11-27T11:00:00Z'),
  source: 'provider',
  dataTotalBytes: 500 * MIB,
  dataRemainingBytes: 300 * MIB,
  smsTotal: 250,
  smsRemaining: 200,
  expiryDate: new Date('2030-01-01T00:00:00Z'),
  lastDataDay: '2026-11-27',
  lastSessionAt: null,
  activeDays28: 26,
  knownDays28: 28,
  exhaustedAt: null,
  forecastExhaustionDate: null,
  openAlerts: [],
  lastAction: null,
};
const d = (over: Partial<DiagnosisFacts>) => diagnose({ ...base, ...over }, now);

describe('SIM diagnosis', () => {
  it('says all is well for an online SIM with data flowing', () => {
    expect(d({})).toMatchObject({ verdict: 'ok', code: 'ok', headline: 'Working normally: online, data flowing', next_step: 'Nothing to do' });
  });

  it('attached with no data session for a day: check the APN', () => {
    expect(d({ connectivity: 'ATTACHED', lastDataDay: '2026-11-25', lastSessionAt: new Date('2026-11-26T10:00:00Z') })).toMatchObject({
      verdict: 'attention',
      code: 'attached_no_data',
      headline: 'Attached, no data session for 26 h: check the APN',
    });
  });

  it('exhausted data quota: top up, with the day it ran out', () => {
    expect(d({ dataRemainingBytes: 0, exhaustedAt: new Date('2026-11-03T08:00:00Z'), connectivity: 'ATTACHED' })).toMatchObject({
      verdict: 'problem',
      code: 'data_exhausted',
      headline: 'Data quota exhausted on 3 Nov 2026',
      next_step: 'Top up the SIM (POST /sims/{iccid}/topup)',
    });
  });

  it('IMEI changed and locked by a rule', () => {
    const r = d({
      imeiLock: true,
      openAlerts: [{ metric: 'device_change', rule_name: 'Device changed (IMEI)', message: 'New IMEI 352099001761481', raised_at: now, data: { new_values: ['352099001761481'] } }],
      lastAction: { action: 'imei_lock', ruleName: 'Device changed (IMEI)', at: now },
    });
    expect(r).toMatchObject({ verdict: 'problem', code: 'device_changed', headline: 'IMEI changed to 352099001761481: locked by rule "Device changed (IMEI)"' });
  });

  it('disabled (by a rule, or not), expired, blocked', () => {
    expect(d({ status: 'Disabled' })).toMatchObject({ verdict: 'problem', code: 'disabled', headline: 'The SIM is disabled' });
    expect(d({ status: 'Disabled', lastAction: { action: 'disable', ruleName: 'Usage spike', at: new Date('2026-11-26T00:00:00Z') } }).headline).toBe('Disabled by rule "Usage spike" on 26 Nov 2026');
    expect(d({ expiryDate: new Date('2026-11-01T00:00:00Z') })).toMatchObject({ verdict: 'problem', code: 'expired' });
    expect(d({ connectivity: 'BLOCKED' })).toMatchObject({ verdict: 'problem', code: 'blocked' });
  });

  it('usage spike and silence from open anomaly alerts', () => {
    expect(d({ openAlerts: [{ metric: 'usage_spike', rule_name: 'Usage spike', message: 'Usage spike: 60.0 MiB in a day', raised_at: now, data: null }] })).toMatchObject({
      verdict: 'attention',
      code: 'usage_spike',
      headline: 'Usage spike: 60.0 MiB in a day',
    });
    expect(d({ connectivity: 'OFFLINE', lastSeenAt: new Date('2026-11-24T12:00:00Z'), lastDataDay: '2026-11-23' })).toMatchObject({ code: 'offline', headline: 'Offline for 72 h (last seen 24 Nov 2026)' });
    expect(d({ connectivity: null, lastDataDay: '2026-11-23', openAlerts: [{ metric: 'silence_hours', rule_name: 'x', message: 'Silent for 84 h', raised_at: now, data: null }] })).toMatchObject({ code: 'silent' });
  });

  it('low quota with the forecast date, and a near forecast', () => {
    expect(d({ dataRemainingBytes: 50 * MIB, forecastExhaustionDate: '2026-12-02' })).toMatchObject({ verdict: 'attention', code: 'quota_low', headline: 'Data quota 90% used; forecast to run out on 2 Dec 2026', next_step: 'Top up before 2 Dec 2026' });
    expect(d({ forecastExhaustionDate: '2026-11-30' })).toMatchObject({ code: 'quota_forecast' });
  });

  it('an occasional user offline is idle, not broken; a never-synced SIM is unknown', () => {
    expect(d({ connectivity: 'OFFLINE', activeDays28: 4, lastDataDay: '2026-11-20', lastSeenAt: new Date('2026-11-20T00:00:00Z') })).toMatchObject({ verdict: 'ok', code: 'idle' });
    expect(d({ status: null, connectivity: null, lastDataDay: null, lastSyncedAt: null, dataTotalBytes: null, dataRemainingBytes: null })).toMatchObject({ verdict: 'unknown', code: 'not_synced' });
  });
});
