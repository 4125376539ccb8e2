import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Cache } from '../../cache.js';
import type { DB } from '../../db/schema.js';
import type { Metrics } from '../../metrics.js';
import type { AlertsService } from '../alerts/alerts.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Notify } from '../notify/notify.service.js';
import type { ProductsService } from '../products/products.service.js';
import type { SimsService } from '../sims/sims.service.js';
import { createAnomaliesService, type AnomaliesService } from './anomalies.service.js';
import { createAnomalyActions } from './anomaly-actions.js';
import { createDiagnosisService, type DiagnosisService } from './diagnosis.service.js';
import { createForecastService, type ForecastService } from './forecast.service.js';
import { createReportsService, type ReportsService } from './reports.service.js';

/** Fleet intelligence: anomaly detection, SIM diagnosis, fleet forecast and monthly reports. */
export interface Intelligence {
  anomalies: AnomaliesService;
  diagnosis: DiagnosisService;
  forecast: ForecastService;
  reports: ReportsService;
}

export interface IntelligenceDeps {
  db: Kysely<DB>;
  cache: Cache;
  alerts: AlertsService;
  sims: Pick<SimsService, 'patch'>;
  products: Pick<ProductsService, 'list'>;
  audit: Pick<AuditService, 'recordSafely'>;
  notify: Notify;
  logger: Logger;
  metrics: Metrics['intelligence'];
  now?: () => Date;
}

/** Wires the intelligence services (called once by the composition root). */
export function createIntelligence(deps: IntelligenceDeps): Intelligence {
  const now = deps.now ?? (() => new Date());
  const actions = createAnomalyActions({
    db: deps.db,
    sims: deps.sims,
    audit: deps.audit,
    notify: deps.notify,
    logger: deps.logger,
    counted: (action, outcome) => deps.metrics.actions.inc({ action, outcome }),
  });
  const anomalies = createAnomaliesService({
    db: deps.db,
    alerts: deps.alerts,
    actions,
    cache: deps.cache,
    logger: deps.logger,
    observed: (source, seconds) => deps.metrics.evaluation.observe({ source }, seconds),
    now,
  });
  return {
    anomalies,
    diagnosis: createDiagnosisService({ db: deps.db, now }),
    forecast: createForecastService({ db: deps.db, products: deps.products, cache: deps.cache, logger: deps.logger, now }),
    reports: createReportsService({ db: deps.db, now }),
  };
}
