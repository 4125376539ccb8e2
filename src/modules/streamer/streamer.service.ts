import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ConnectivityStatus, DB } from '../../db/schema.js';
import { ValidationError } from '../../errors.js';
import type { BackgroundMetrics } from '../../metrics/background.js';
import type { Notify } from '../notify/notify.service.js';
import { parseStreamBatch, type EventRecord, type ParsedBatch, type UsageRecord } from './streamer.parse.js';
import { createStreamerRepo, type InsertMode, type SimEffect, type SimRef } from './streamer.repo.js';
import type { StatisticsKeeper } from '../../db/statistics.js';
import type { IngestResult } from './streamer.schemas.js';

/** The stream counts as healthy for an account while its last record is at most this old. */
export const STREAM_HEALTHY_MINUTES = 15;

export interface StreamerServiceDeps {
  db: Kysely<DB>;
  logger: Logger;
  metrics: BackgroundMetrics['streamer'];
  notify: Notify;
  /** Planner statistics after many rows changed (src/db/statistics.ts). */
  statistics?: Pick<StatisticsKeeper, 'refresh'>;
  /** Reports SIMs whose usage and remaining quota advanced, so their alerts are evaluated now (AlertTrigger). */
  quotaChanged?: (iccids: string[]) => void;
}

/** Event type ids (reference 11.3) that move a SIM's connectivity. */
const CONNECTIVITY_BY_EVENT: Record<number, ConnectivityStatus | 'ATTACHED_UNLESS_ONLINE'> = {
  1: 'ATTACHED_UNLESS_ONLINE', // Update location
  2: 'ATTACHED_UNLESS_ONLINE', // Update GPRS location
  3: 'ONLINE', // Create PDP Context
  4: 'ONLINE', // Update PDP Context
  5: 'ATTACHED', // Delete PDP Context: the data session ended, the device is still registered
  11: 'BLOCKED', // Endpoint blocked
  15: 'OFFLINE', // Purge Location
  16: 'OFFLINE', // Purge GPRS location
};
const DATA_QUOTA_USED_UP = 19;
/** ICCIDs named in one `usage.updated` live event (the count is always exact). */
const LIVE_ICCIDS_MAX = 100;
const SMS_QUOTA_USED_UP = 21;

type Notification = { type: Parameters<Notify>[0]; payload: Record<string, unknown> };

/** What one committed write of a batch did. */
interface Written {
  freshUsage: number;
  freshEvents: number;
  unmatched: number;
  notifications: Notification[];
  /** ICCIDs whose usage (and remaining quota) advanced. */
  advanced: string[];
}

/** The records whose key was not seen earlier in the list (first occurrence wins), and the repeats. */
function firstOccurrences<T>(records: T[], keyOf: (r: T) => string): { kept: T[]; repeats: T[] } {
  const seen = new Set<string>();
  const kept: T[] = [];
  const repeats: T[] = [];
  for (const r of records) {
    const key = keyOf(r);
    if (seen.has(key)) repeats.push(r);
    else {
      seen.add(key);
      kept.push(r);
    }
  }
  return { kept: repeats.length === 0 ? records : kept, repeats };
}

/** One live event per batch, not per record: consoles refetch the SIMs they show. */
function usageNotifications(advanced: string[]): Notification[] {
  return advanced.length === 0 ? [] : [{ type: 'usage.updated', payload: { source: 'stream', sims: advanced.length, iccids: advanced.slice(0, LIVE_ICCIDS_MAX) } }];
}

/** The SQLSTATE of a database error (pg and PGlite both carry `code`). */
const sqlState = (error: unknown): unknown => (typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined);
/** unique_violation: a record id stored before. */
const UNIQUE_VIOLATION = '23505';
const DEADLOCK_DETECTED = '40P01';
/** Writes of one batch at most: fresh, replay, and one more after a deadlock. */
const MAX_ATTEMPTS = 3;

/**
 * Data Streamer ingest: validates a whole batch, stores it in one transaction (raw usage records and
 * events deduplicated on 1NCE's ids; the daily rollup, remaining quota, connectivity and last-seen of
 * each SIM advanced only by records not seen before), then emits webhooks for what changed.
 */
export function createStreamerService(deps: StreamerServiceDeps) {
  const repo = createStreamerRepo();

  /**
   * Writes a validated batch (no key twice in `usage` nor in `events`) atomically: a batch of usage
   * records only as one statement (its own transaction), a batch with events in one transaction
   * (lock the SIMs, insert the events, then the same statement).
   */
  const write = async (
    usage: UsageRecord[],
    events: EventRecord[],
    received: ParsedBatch,
    repeats: UsageRecord[],
    sourceIp: string | null,
    bodyText: () => string,
    mode: InsertMode,
  ): Promise<Written> => {
    const iccids = new Set<string>();
    for (const r of usage) if (r.iccid !== null) iccids.add(r.iccid);
    for (const r of events) if (r.iccid !== null) iccids.add(r.iccid);
    const alsoReceived = [...repeats.map((r) => r.iccid), ...received.events.map((r) => r.iccid)];
    const payload = { body: bodyText(), recordCount: received.usage.length + received.events.length };
    const common = { iccids: [...iccids], usage, mode, payload, usageReceived: received.usage.length, alsoReceived, sourceIp };

    if (events.length === 0) {
      const done = await repo.writeBatch(deps.db, { ...common, effects: [], payloadId: undefined, freshEvents: 0, kinds: [], connectivity: [] });
      return { freshUsage: done.fresh.size, freshEvents: 0, unmatched: done.unmatched, notifications: usageNotifications(done.advanced), advanced: done.advanced };
    }

    return deps.db.transaction().execute(async (trx) => {
      const notifications: Notification[] = [];
      const { sims, payloadId } = await repo.lockSims(trx, common.iccids);
      const simOf = (iccid: string | null): SimRef | undefined => (iccid === null ? undefined : sims.get(iccid));

      // Events first: the new ones, replayed per SIM in time order, decide each SIM's connectivity.
      const freshEvents = await repo.insertEvents(trx, events, events.map((r) => simOf(r.iccid)?.id ?? null), payloadId, mode);
      const newEvents = [...freshEvents].map((i) => events[i]!).sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
      const connectivity = new Map<number, { sim: SimRef; status: ConnectivityStatus; at: Date }>();
      const dataExhausted = new Set<number>();
      const smsExhausted = new Set<number>();
      for (const e of newEvents) {
        const sim = simOf(e.iccid);
        if (sim !== undefined) collectEventEffects(e, sim, connectivity, dataExhausted, smsExhausted, notifications);
      }
      const changed = [...connectivity.values()].filter((c) => c.status !== c.sim.connectivity_status);
      const effects = new Map<number, SimEffect>();
      const effectOf = (simId: number) => {
        let e = effects.get(simId);
        if (e === undefined) effects.set(simId, (e = { simId, connectivity: undefined, dataExhausted: false, smsExhausted: false }));
        return e;
      };
      for (const c of changed) effectOf(c.sim.id).connectivity = { status: c.status, at: c.at };
      for (const id of dataExhausted) effectOf(id).dataExhausted = true;
      for (const id of smsExhausted) effectOf(id).smsExhausted = true;

      // Per kind as received (repeats within the batch count as duplicates).
      const kinds: Array<{ kind: 'event' | 'sms'; count: number; duplicates: number }> = [];
      const sms = received.events.filter((e) => e.kind === 'sms').length;
      const freshSms = [...freshEvents].filter((i) => events[i]!.kind === 'sms').length;
      const network = received.events.length - sms;
      if (network > 0) kinds.push({ kind: 'event', count: network, duplicates: network - (freshEvents.size - freshSms) });
      if (sms > 0) kinds.push({ kind: 'sms', count: sms, duplicates: sms - freshSms });

      // Usage, the rollup, every SIM change and the bookkeeping of the batch in one statement.
      const done = await repo.writeBatch(trx, {
        ...common,
        effects: [...effects.values()],
        payloadId,
        freshEvents: freshEvents.size,
        kinds,
        connectivity: changed.map((c) => ({ simId: c.sim.id, status: c.status, at: c.at })),
      });
      notifications.unshift(...usageNotifications(done.advanced));
      for (const c of changed) {
        notifications.push({ type: 'sim.updated', payload: { iccid: c.sim.iccid, fields: ['connectivity_status', 'last_seen_at'] } });
        if (c.status === 'ONLINE' || c.status === 'OFFLINE') {
          notifications.push({
            type: c.status === 'ONLINE' ? 'sim.online' : 'sim.offline',
            payload: { iccid: c.sim.iccid, previous_status: c.sim.connectivity_status, status: c.status, at: c.at.toISOString(), source: 'stream' },
          });
        }
      }
      return { freshUsage: done.fresh.size, freshEvents: freshEvents.size, unmatched: done.unmatched, notifications, advanced: done.advanced };
    });
  };

  return {
    /**
     * Stores one POSTed batch; throws ValidationError (nothing stored) when any record is malformed.
     * `bodyText` is the request body as received: kept verbatim as the records' raw form (without it,
     * the parsed body is serialised again).
     */
    async ingest(body: unknown, sourceIp: string | null, bodyText?: string): Promise<IngestResult> {
      const parsed = parseStreamBatch(body);
      if (!parsed.ok) {
        deps.metrics.batches.inc({ outcome: 'rejected' });
        throw new ValidationError(
          'The batch holds malformed records; nothing was stored',
          parsed.errors,
          'invalid_stream_batch',
        );
      }
      // A record repeated within one batch is stored once, from its first occurrence.
      const { kept: usage, repeats } = firstOccurrences(parsed.batch.usage, (r) => `${r.recordId}\u0000${r.startedAt.getTime()}`);
      const events = firstOccurrences(parsed.batch.events, (r) => `${r.eventKey}\u0000${r.occurredAt.getTime()}`).kept;
      const received = parsed.batch.usage.length + parsed.batch.events.length;
      if (received === 0) {
        deps.metrics.batches.inc({ outcome: 'stored' });
        return { received: 0, stored: 0, duplicates: 0, unmatched: 0 };
      }
      const text = () => bodyText ?? JSON.stringify(body);

      let written: Written | undefined;
      let mode: InsertMode = 'fresh';
      for (let attempt = 1; written === undefined; attempt += 1) {
        try {
          written = await write(usage, events, parsed.batch, repeats, sourceIp, text, mode);
        } catch (error) {
          // A record stored before (a retransmission, or its original racing it): write the batch
          // again, skipping what is stored. A deadlock with another writer locking SIMs in another
          // order (PostgreSQL failed this side): write it again as it was. Nothing of a failed
          // attempt was committed.
          const code = sqlState(error);
          if (code === UNIQUE_VIOLATION && mode === 'fresh') mode = 'replay';
          else if (code !== DEADLOCK_DETECTED || attempt >= MAX_ATTEMPTS) throw error;
        }
      }

      const { freshUsage, freshEvents, unmatched, notifications, advanced } = written;
      deps.metrics.batches.inc({ outcome: 'stored' });
      deps.metrics.records.inc({ kind: 'usage', result: 'stored' }, freshUsage);
      deps.metrics.records.inc({ kind: 'usage', result: 'duplicate' }, parsed.batch.usage.length - freshUsage);
      deps.metrics.records.inc({ kind: 'event', result: 'stored' }, freshEvents);
      deps.metrics.records.inc({ kind: 'event', result: 'duplicate' }, parsed.batch.events.length - freshEvents);
      // Rate-limited and never rejecting; not awaited, so the batch's answer does not wait for an ANALYZE.
      void deps.statistics?.refresh(['sims', 'usage_records', 'sim_usage', 'sim_events']);
      // Webhooks, live events and alert evaluation only after commit: a rolled-back batch must not announce anything.
      // One live-event transaction for the whole batch where the notifier can (notify.many).
      if (deps.notify.many !== undefined) await deps.notify.many(notifications);
      else for (const n of notifications) await deps.notify(n.type, n.payload);
      if (advanced.length > 0) deps.quotaChanged?.(advanced);
      const stored = freshUsage + freshEvents;
      return { received, stored, duplicates: received - stored, unmatched };
    },

    /** True while the stream delivered records for `accountId` within STREAM_HEALTHY_MINUTES (sync backs off). */
    async streamHealthy(accountId: string, now = new Date()): Promise<boolean> {
      const last = await repo.lastReceivedAt(deps.db, accountId);
      return last !== undefined && now.getTime() - last.getTime() <= STREAM_HEALTHY_MINUTES * 60_000;
    },

    /** When the stream last delivered a record for `accountId`. */
    lastReceivedAt: (accountId: string) => repo.lastReceivedAt(deps.db, accountId),
  };
}

function collectEventEffects(
  e: EventRecord,
  sim: SimRef,
  connectivity: Map<number, { sim: SimRef; status: ConnectivityStatus; at: Date }>,
  dataExhausted: Set<number>,
  smsExhausted: Set<number>,
  notifications: Notification[],
): void {
  if (e.kind === 'sms') {
    if (e.sms?.direction === 'MO') {
      notifications.push({
        type: 'sms.received',
        payload: {
          iccid: sim.iccid,
          text: e.sms.text,
          source_address: e.sms.source,
          received_at: e.occurredAt.toISOString(),
          source: 'stream',
        },
      });
    }
    return;
  }
  const effect = e.eventTypeId === null ? undefined : CONNECTIVITY_BY_EVENT[e.eventTypeId];
  if (effect !== undefined) {
    const current = connectivity.get(sim.id)?.status ?? sim.connectivity_status;
    const status =
      effect === 'ATTACHED_UNLESS_ONLINE' ? (current === 'ONLINE' ? 'ONLINE' : 'ATTACHED') : effect;
    connectivity.set(sim.id, { sim, status, at: e.occurredAt });
  }
  if (e.eventTypeId === DATA_QUOTA_USED_UP || e.eventTypeId === SMS_QUOTA_USED_UP) {
    const service = e.eventTypeId === DATA_QUOTA_USED_UP ? 'data' : 'sms';
    (service === 'data' ? dataExhausted : smsExhausted).add(sim.id);
    notifications.push({
      type: 'quota.exhausted',
      payload: {
        iccid: sim.iccid,
        service,
        at: e.occurredAt.toISOString(),
        description: e.description,
        source: 'stream',
      },
    });
  }
}

export type StreamerService = ReturnType<typeof createStreamerService>;
