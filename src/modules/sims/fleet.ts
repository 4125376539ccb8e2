import { createConnectivityService } from '../connectivity/connectivity.service.js';
import { createEventsService } from '../events/events.service.js';
import { createQuotasService } from '../quotas/quotas.service.js';
import { createUsageService } from '../usage/usage.service.js';
import type { FleetDeps } from './fleet.context.js';
import { createSimsService } from './sims.service.js';
import { createSimSync } from './sims.sync.js';

/**
 * The fleet services, wired once by the composition root: `sync` (provider -> database, used by
 * jobs, bulk actions and the streamer) and the read/write services behind the SIM routes.
 */
export function createFleet(deps: FleetDeps) {
  const sync = createSimSync(deps);
  const withSync = { ...deps, sync };
  return {
    sync,
    sims: createSimsService(withSync),
    usage: createUsageService(withSync),
    quotas: createQuotasService(withSync),
    connectivity: createConnectivityService(withSync),
    events: createEventsService(withSync),
  };
}

export type Fleet = ReturnType<typeof createFleet>;
