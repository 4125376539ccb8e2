import { describe, expect, it } from 'vitest';
import { decide, forecastDays, inScope, metricValue, type SimSnapshot } from '../../../src/modules/alerts/alerts.evaluate.js';

const MB = 1_048_576;
const now = new Date('2025-03-10T00:00:00Z');
const sim = (overrides: Partial<SimSnapshot> = {}): SimSnapshot => ({
  id: 1,
  iccid: '8988280666000000001',
  accountId: 'acc-1',
  tags: ['fleet'],
  dataTotalBytes: 100 * MB,
  dataRemainingBytes: 20 * MB,
  smsTotal: 50,
  smsRemaining: 50,
  dataExpiryDate: new Date('2025-03-15T00:00:00Z'),
  connectivityStatus: 'ONLINE',
  lastSeenAt: now,
  dataBytesPerDay: 4 * MB,
  ...overrides,
});

describe('metric values', () => {
  it('computes used percentages, days to expiry and the burn-rate forecast', () => {
    expect(metricValue('data_used_pct', sim(), now)).toBe(80);
    expect(metricValue('sms_used_pct', sim(), now)).toBe(0);
    expect(metricValue('expiry_days', sim(), now)).toBe(5);
    expect(metricValue('forecast_days', sim(), now)).toBe(5);
    expect(metricValue('offline_minutes', sim(), now)).toBeNull();
    expect(metricValue('offline_minutes', sim({ connectivityStatus: 'OFFLINE', lastSeenAt: new Date(now.getTime() - 90 * 60_000) }), now)).toBe(90);
  });

  it('is unknown without a quota, and over 100 % when v2 reports a negative remainder', () => {
    expect(metricValue('data_used_pct', sim({ dataTotalBytes: null }), now)).toBeNull();
    expect(metricValue('data_used_pct', sim({ dataTotalBytes: 0 }), now)).toBeNull();
    expect(metricValue('data_used_pct', sim({ dataRemainingBytes: -10 * MB }), now)).toBe(110);
  });

  it('forecasts 0 days when exhausted and nothing without usage', () => {
    expect(forecastDays({ dataRemainingBytes: 0, dataBytesPerDay: null })).toBe(0);
    expect(forecastDays({ dataRemainingBytes: 10 * MB, dataBytesPerDay: 0 })).toBeNull();
    expect(forecastDays({ dataRemainingBytes: 10 * MB, dataBytesPerDay: 3 * MB })).toBe(3.33);
  });
});

describe('crossing and hysteresis', () => {
  it('raises once when a used percentage reaches the threshold, and only while armed', () => {
    expect(decide('data_used_pct', 79.99, 80, 5, true)).toBe('none');
    expect(decide('data_used_pct', 80, 80, 5, true)).toBe('raise');
    expect(decide('data_used_pct', 95, 80, 5, false)).toBe('none');
  });

  it('re-arms only after dropping more than the hysteresis below the threshold', () => {
    expect(decide('data_used_pct', 76, 80, 5, false)).toBe('none');
    expect(decide('data_used_pct', 75, 80, 5, false)).toBe('none');
    expect(decide('data_used_pct', 74.99, 80, 5, false)).toBe('clear');
    expect(decide('data_used_pct', 10, 80, 5, true)).toBe('none');
  });

  it('works downwards for days-left metrics', () => {
    expect(decide('expiry_days', 7.5, 7, 1, true)).toBe('none');
    expect(decide('expiry_days', 7, 7, 1, true)).toBe('raise');
    expect(decide('forecast_days', 2, 3, 1, false)).toBe('none');
    expect(decide('forecast_days', 4, 3, 1, false)).toBe('none');
    expect(decide('forecast_days', 4.01, 3, 1, false)).toBe('clear');
  });

  it('does nothing for an unknown value', () => {
    expect(decide('data_used_pct', null, 80, 5, true)).toBe('none');
    expect(decide('data_used_pct', null, 80, 5, false)).toBe('none');
  });
});

describe('scopes', () => {
  it('matches global, account, tag and SIM rules', () => {
    expect(inScope({ scope: 'global', scope_value: null }, sim())).toBe(true);
    expect(inScope({ scope: 'account', scope_value: 'acc-1' }, sim())).toBe(true);
    expect(inScope({ scope: 'account', scope_value: 'acc-2' }, sim())).toBe(false);
    expect(inScope({ scope: 'tag', scope_value: 'fleet' }, sim())).toBe(true);
    expect(inScope({ scope: 'tag', scope_value: 'other' }, sim())).toBe(false);
    expect(inScope({ scope: 'sim', scope_value: '8988280666000000001' }, sim())).toBe(true);
    expect(inScope({ scope: 'sim', scope_value: '8988280666000000002' }, sim())).toBe(false);
  });
});
