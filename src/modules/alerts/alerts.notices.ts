/** What a raised alert says: its message, and the webhook event that announces it. */
import type { AlertMetric } from '../../db/schema.js';
import type { Notify } from '../notify/notify.service.js';

/** The message of an alert on `metric` that crossed `threshold` at `value`. */
export function describe(metric: AlertMetric, threshold: number, value: number): string {
  switch (metric) {
    case 'data_used_pct':
      return `Data quota ${value}% used (threshold ${threshold}%)`;
    case 'sms_used_pct':
      return `SMS quota ${value}% used (threshold ${threshold}%)`;
    case 'expiry_days':
      return `Quota expires in ${value} days (threshold ${threshold} days)`;
    case 'forecast_days':
      return `Data quota forecast to run out in ${value} days at the current burn rate (threshold ${threshold} days)`;
    case 'offline_minutes':
      return `Offline for ${value} minutes (threshold ${threshold} minutes)`;
    case 'usage_spike':
      return `Usage spike: ${value}x the SIM's baseline (threshold ${threshold}x)`;
    case 'silence_hours':
      return `Silent for ${value} hours (threshold ${threshold} hours)`;
    case 'device_change':
      return 'The SIM is in a new device (IMEI changed)';
    case 'new_country':
      return 'The SIM is in a country it was never seen in';
    case 'new_operator':
      return 'The SIM is on a network it was never seen on';
  }
}

/** Which webhook event a newly raised alert announces. */
export function eventFor(metric: AlertMetric, threshold: number): Parameters<Notify>[0] {
  switch (metric) {
    case 'usage_spike':
      return 'anomaly.usage_spike';
    case 'silence_hours':
      return 'anomaly.silence';
    case 'device_change':
      return 'anomaly.device_change';
    case 'new_country':
      return 'anomaly.new_country';
    case 'new_operator':
      return 'anomaly.new_operator';
    case 'forecast_days':
      return 'quota.forecast';
    case 'offline_minutes':
      return 'sim.offline';
    case 'data_used_pct':
    case 'sms_used_pct':
      return threshold >= 100 ? 'quota.exhausted' : 'quota.threshold_reached';
    case 'expiry_days':
      return 'quota.threshold_reached';
  }
}
