/**
 * What the fleet services (SIMs, usage, quotas, connectivity, events, sync) share: their
 * dependencies, audit of provider actions and cache keys. Naming a SIM and the caller (ICCID
 * parsing, SIM look-up, the actor) is the kernel in sim-ref.ts, shared with every other module.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Cache } from '../../cache.js';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import type { ProviderClient } from '../../provider/client.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ActorContext } from './sim-ref.js';
import type { StatisticsKeeper } from '../../db/statistics.js';

/** Sends a job to the engine (`deps.jobs.send`); absent until the job engine is running. */
export interface JobSender {
  send<T>(name: string, data: T, options?: { singletonKey?: string; startAfter?: Date; priority?: number }): Promise<string | null>;
}

/** Dependencies of every fleet service. */
export interface FleetDeps {
  db: Kysely<DB>;
  cache: Cache;
  provider: { get(accountId: string): Promise<ProviderClient> };
  accounts: { defaultAccountId(): Promise<string | undefined> };
  audit: Pick<AuditService, 'recordSafely'>;
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /**
   * Domain event hook (`deps.notify`): `sim.status_changed` `{ iccid, from, to }` (webhooks) when a
   * sync or an edit changes a status, `sim.updated` `{ iccid, fields }` (live stream) for any change.
   */
  notify?: (type: 'sim.status_changed' | 'sim.updated', payload: Record<string, unknown>) => void | Promise<void>;
  /** True while the Data Streamer feeds this account's usage: the sweep then skips per-SIM usage polls. */
  streamHealthy?: (accountId: string) => Promise<boolean>;
  /** Planner statistics after many rows changed (src/db/statistics.ts): the sweep and the list path call it. */
  statistics?: Pick<StatisticsKeeper, 'refresh'>;
  /** The job engine, read lazily because it is wired after the services. */
  jobs?: () => JobSender | undefined;
  /** Reports SIMs whose stored quota changed, so their alerts are evaluated now (AlertTrigger). */
  quotaChanged?: (iccids: string[]) => void;
  now?: () => number;
}

/**
 * Runs one provider action on a caller's behalf and appends its audit entry (success or failure
 * with the error code).
 * Audit failures are logged, never thrown: the provider action has already happened.
 */
export async function auditedProviderCall<T>(
  deps: Pick<FleetDeps, 'audit'>,
  ctx: ActorContext | undefined,
  action: string,
  iccid: string,
  call: () => Promise<T>,
  detail?: { [key: string]: unknown },
): Promise<T> {
  // Background work (no caller) is not audited per call: a sweep would write one entry per SIM.
  if (ctx === undefined) return call();
  const base = { ...ctx, action: `provider.${action}`, target: { type: 'sim', id: iccid } };
  try {
    const result = await call();
    await deps.audit.recordSafely({ ...base, outcome: 'success', ...(detail !== undefined && { detail }) });
    return result;
  } catch (error) {
    const code = error instanceof AppError ? error.code : 'error';
    await deps.audit.recordSafely({ ...base, outcome: 'failure', detail: { ...detail, error: code } });
    throw error;
  }
}

/** Cache keys. GET sim is cached per ICCID; usage answers carry a per-SIM generation so one write invalidates every range. */
export const cacheKeys = {
  sim: (iccid: string) => `sim:${iccid}`,
  usageGeneration: (iccid: string) => `usage-gen:${iccid}`,
  usage: (iccid: string, generation: string, rest: string) => `usage:${iccid}:${generation}:${rest}`,
};

/** How long a cached SIM or usage answer may be served (writes invalidate earlier). */
export const CACHE_TTL_SECONDS = { sim: 30, usage: 120, generation: 86_400 };

/** Drops the cached SIM answer. */
export async function invalidateSim(cache: Cache, iccid: string): Promise<void> {
  await cache.delete(cacheKeys.sim(iccid));
}

/** Invalidates every cached usage answer of a SIM at once by moving its generation. */
export async function invalidateUsage(cache: Cache, iccid: string): Promise<void> {
  await cache.set(cacheKeys.usageGeneration(iccid), `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`, CACHE_TTL_SECONDS.generation);
}
