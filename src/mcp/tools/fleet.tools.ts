import type { AlertsService } from '../../modules/alerts/alerts.service.js';
import { AlertsQuery } from '../../modules/alerts/alerts.schemas.js';
import type { FleetService } from '../../modules/fleet/fleet.service.js';
import { defineTool, type Tool } from '../tool.js';
import { Args } from './schemas.js';

/** The fleet at a glance and its alerts: GET /fleet/summary, GET /alerts. */
export function fleetTools(services: { fleetSummary: FleetService; alerts: AlertsService }): Tool[] {
  return [
    defineTool({
      name: 'get_fleet_summary',
      title: 'Fleet summary',
      description:
        'The fleet at a glance: SIM counts by status and connectivity, networks, data and SMS used this month, SIMs near quota, exhausted, ' +
        'near expiry or forecast to run out within 30 days, the lowest quotas, open alerts, recent events, sync and system health.',
      policy: 'viewer',
      readOnly: true,
      input: Args({}),
      run: async () => services.fleetSummary.summary(),
    }),
    defineTool({
      name: 'list_alerts',
      title: 'Alerts',
      description: 'Raised alerts, newest first: filter by state (open, acknowledged, resolved), severity, metric, iccid or rule_id. Same as GET /api/v1/alerts.',
      policy: 'viewer',
      readOnly: true,
      input: AlertsQuery,
      run: async (q) =>
        services.alerts.listAlerts({ state: q.state, severity: q.severity, metric: q.metric, iccid: q.iccid, ruleId: q.rule_id }, q.page ?? 1, q.page_size ?? 50),
    }),
  ];
}
