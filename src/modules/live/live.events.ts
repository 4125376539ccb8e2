import type { UserRole } from '../../db/schema.js';

/**
 * Every event the live stream (GET /api/v1/events/stream) carries, with the lowest role that may
 * receive it. The rule: an event goes to exactly the callers who may read the same data through
 * the REST API, so its audience is the policy of the GET route that shows it. Every type below
 * mirrors a viewer-readable resource (SIMs, alerts, bulk jobs, scheduler status, usage), so today
 * every authenticated caller receives all of them; an event about admin-only data (users, API keys,
 * webhooks, provider accounts, audit) would be declared 'admin' here and never reach the others.
 */
export const LIVE_EVENT_AUDIENCE = {
  /** `{ iccid, fields: string[] }`: a SIM's stored fields changed (GET /sims/{iccid}). */
  'sim.updated': 'viewer',
  /** The alert as in GET /alerts/{id}. */
  'alert.raised': 'viewer',
  'alert.acknowledged': 'viewer',
  'alert.resolved': 'viewer',
  /** `{ id, action, status, total, done, succeeded, failed, skipped }` (GET /bulk-jobs/{id}). */
  'bulk.progress': 'viewer',
  'bulk.finished': 'viewer',
  /** `{ job, status, processed?, total? }` (GET /scheduler/status). */
  'sync.progress': 'viewer',
  'sync.finished': 'viewer',
  /** `{ source, iccids: string[] (at most 100), sims: int }`: new usage stored (GET /sims/{iccid}/usage). */
  'usage.updated': 'viewer',
} as const satisfies Record<string, UserRole>;

export type LiveEventType = keyof typeof LIVE_EVENT_AUDIENCE;

export const LIVE_EVENT_TYPES = Object.keys(LIVE_EVENT_AUDIENCE) as LiveEventType[];

/** True for a type the live stream carries. */
export function isLiveEventType(value: string): value is LiveEventType {
  return Object.hasOwn(LIVE_EVENT_AUDIENCE, value);
}

/** One stored, numbered event. `id` is monotonic across every replica (the stream's `id:`). */
export interface LiveEvent {
  id: number;
  type: string;
  minRole: UserRole;
  data: Record<string, unknown>;
  at: string;
}
