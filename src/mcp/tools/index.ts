import type { Deps } from '../../deps.js';
import type { Tool } from '../tool.js';
import { actionTools } from './actions.tools.js';
import { bulkTools } from './bulk.tools.js';
import { fleetTools } from './fleet.tools.js';
import { intelligenceTools } from './intelligence.tools.js';
import { simTools } from './sims.tools.js';
import { usageTools } from './usage.tools.js';

/** What the tools call: the same services the REST routes call. */
export type ToolDeps = Pick<Deps, 'fleet' | 'fleetSummary' | 'alerts' | 'sms' | 'topups' | 'bulk' | 'intelligence'>;

/**
 * Every MCP tool, in the order tools/list shows them. A new tool is one `defineTool` in a family
 * file (or a new family added here) calling the service its REST route calls; nothing else changes.
 */
export function mcpTools(deps: ToolDeps): Tool[] {
  const { sims, usage, quotas, connectivity } = deps.fleet;
  return [
    ...simTools(sims),
    ...usageTools({ usage, quotas, connectivity }),
    ...fleetTools({ fleetSummary: deps.fleetSummary, alerts: deps.alerts }),
    ...intelligenceTools(deps.intelligence),
    ...actionTools({ sms: deps.sms, topups: deps.topups, connectivity }),
    ...bulkTools(deps.bulk),
  ];
}
