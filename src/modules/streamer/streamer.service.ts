import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ConnectivityStatus, DB } from '../../db/schema.js';
import { ValidationError } from '../../errors.js';
import type { BackgroundMetrics } from '../../jobs/jobs.metrics.js';
import type { Notify } from '../notify/notify.service.js';
import { parseStreamBatch, type EventRecord } from './streamer.parse.js';
import { createStreamerRepo, type SimRef } from './streamer.repo.js';
import type { StatisticsKeeper } from '../../db/statistics.js';

/** The stream counts as healthy for an account while its last record is at most this old. */
export const STREAM_HEALTHY_MINUTES = 15;

/** What `POST /streams/1nce` answers once the batch is committed. */
export interface IngestResult {
  received: number;
  stored: number;
  duplicates: number;
  /** Records whose ICCID is not (yet) a known SIM: stored, linked by ICCID once it is synced. */
  unmatched: number;
}

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

const DAY_MS = 86_400_000;
const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Data Streamer ingest: validates a whole batch, stores it in one transaction (raw usage records and
 * events deduplicated on 1NCE's ids; the daily rollup, remaining quota, connectivity and last-seen of
 * each SIM advanced only by records not seen before), then emits webhooks for what changed.
 */
export function createStreamerService(deps: StreamerServiceDeps) {
  const repo = createStreamerRepo();

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
      const { usage, events } = parsed.batch;
      const notifications: Array<{ type: Parameters<Notify>[0]; payload: Record<string, unknown> }> = [];
      const advanced = new Set<string>();

      const result = await deps.db.transaction().execute(async (trx) => {
        const iccids = new Set<string>();
        for (const r of usage) if (r.iccid !== null) iccids.add(r.iccid);
        for (const r of events) if (r.iccid !== null) iccids.add(r.iccid);
        const sims = await repo.simsByIccid(trx, [...iccids]);
        const simOf = (iccid: string | null): SimRef | undefined =>
          iccid === null ? undefined : sims.get(iccid);
        const perAccount = new Map<string, number>();
        let unmatched = 0;
        const count = (r: { iccid: string | null }) => {
          const sim = simOf(r.iccid);
          if (sim === undefined) unmatched += 1;
          else perAccount.set(sim.account_id, (perAccount.get(sim.account_id) ?? 0) + 1);
        };
        usage.forEach(count);
        events.forEach(count);

        // Usage: the records (pointing into the batch's payload), then the rollup and SIM columns from
        // the new ones only.
        const payloadId = usage.length + events.length > 0 ? await repo.reservePayloadId(trx) : 0;
        const usageSims = usage.map((r) => simOf(r.iccid));
        const freshUsage = await repo.insertUsage(
          trx,
          usage,
          usageSims.map((sim) => sim?.id ?? null),
          payloadId,
        );
        const daily = new Map<
          string,
          { simId: number; day: string; rx: number; tx: number; total: number; mo: number; mt: number }
        >();
        const perSim = new Map<number, { simId: number; dataBytes: number; sms: number; lastSeen: Date }>();
        for (const index of freshUsage) {
          const r = usage[index]!;
          const sim = usageSims[index];
          if (sim === undefined) continue;
          advanced.add(sim.iccid);
          const dayNumber = Math.floor(r.startedAt.getTime() / DAY_MS);
          const key = `${sim.id}|${dayNumber}`;
          let d = daily.get(key);
          if (d === undefined) {
            d = {
              simId: sim.id,
              day: utcDay(new Date(dayNumber * DAY_MS)),
              rx: 0,
              tx: 0,
              total: 0,
              mo: 0,
              mt: 0,
            };
            daily.set(key, d);
          }
          d.rx += r.rxBytes ?? 0;
          d.tx += r.txBytes ?? 0;
          d.total += r.totalBytes ?? 0;
          d.mo += r.smsMo;
          d.mt += r.smsMt;
          const seen = r.endedAt !== null && r.endedAt > r.startedAt ? r.endedAt : r.startedAt;
          const s = perSim.get(sim.id) ?? { simId: sim.id, dataBytes: 0, sms: 0, lastSeen: seen };
          s.dataBytes += r.totalBytes ?? 0;
          s.sms += r.smsCount ?? 0;
          if (seen > s.lastSeen) s.lastSeen = seen;
          perSim.set(sim.id, s);
        }
        // Sorted, so concurrent batches lock rollup rows in one order and never deadlock.
        await repo.addDailyUsage(
          trx,
          [...daily.values()].sort((a, b) => a.simId - b.simId || a.day.localeCompare(b.day)),
        );
        await repo.applyUsageToSims(trx, [...perSim.values()]);
        if (perSim.size > 0) {
          // One live event per batch, not per record: consoles refetch the SIMs they show.
          const iccids = [...new Set([...freshUsage].map((i) => usageSims[i]?.iccid).filter((i): i is string => i !== undefined))];
          notifications.push({ type: 'usage.updated', payload: { source: 'stream', sims: perSim.size, iccids: iccids.slice(0, LIVE_ICCIDS_MAX) } });
        }

        // Events: store, then replay the new ones per SIM in time order to move connectivity.
        const freshEvents = await repo.insertEvents(
          trx,
          events,
          events.map((r) => simOf(r.iccid)?.id ?? null),
          payloadId,
        );
        // A batch that was entirely a retransmission is already stored under its first payload.
        if (freshUsage.size + freshEvents.size > 0) {
          await repo.insertPayload(
            trx,
            payloadId,
            bodyText ?? JSON.stringify(body),
            usage.length + events.length,
          );
        }
        const newEvents = [...freshEvents]
          .map((i) => events[i]!)
          .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
        const connectivity = new Map<number, { sim: SimRef; status: ConnectivityStatus; at: Date }>();
        const dataExhausted = new Set<number>();
        const smsExhausted = new Set<number>();
        for (const e of newEvents) {
          const sim = simOf(e.iccid);
          if (sim === undefined) continue;
          collectEventEffects(e, sim, connectivity, dataExhausted, smsExhausted, notifications);
        }
        const changed = [...connectivity.values()].filter((c) => c.status !== c.sim.connectivity_status);
        await repo.setConnectivity(
          trx,
          changed.map((c) => ({ simId: c.sim.id, status: c.status, at: c.at })),
        );
        for (const c of changed) {
          notifications.push({ type: 'sim.updated', payload: { iccid: c.sim.iccid, fields: ['connectivity_status', 'last_seen_at'] } });
          if (c.status === 'ONLINE' || c.status === 'OFFLINE') {
            notifications.push({
              type: c.status === 'ONLINE' ? 'sim.online' : 'sim.offline',
              payload: {
                iccid: c.sim.iccid,
                previous_status: c.sim.connectivity_status,
                status: c.status,
                at: c.at.toISOString(),
                source: 'stream',
              },
            });
          }
        }
        await repo.markExhausted(trx, [...dataExhausted], [...smsExhausted]);

        const kinds: Array<['usage' | 'event' | 'sms', number, number]> = [];
        if (usage.length > 0) kinds.push(['usage', usage.length, usage.length - freshUsage.size]);
        const sms = events.filter((e) => e.kind === 'sms').length;
        const freshSms = [...freshEvents].filter((i) => events[i]!.kind === 'sms').length;
        if (events.length - sms > 0)
          kinds.push(['event', events.length - sms, events.length - sms - (freshEvents.size - freshSms)]);
        if (sms > 0) kinds.push(['sms', sms, sms - freshSms]);
        for (const [kind, count, duplicates] of kinds) {
          await repo.recordBatch(trx, {
            kind,
            record_count: count,
            duplicate_count: duplicates,
            source_ip: sourceIp,
          });
        }
        await repo.touchActivity(trx, perAccount);

        return { usage: freshUsage.size, events: freshEvents.size, unmatched };
      });

      deps.metrics.batches.inc({ outcome: 'stored' });
      deps.metrics.records.inc({ kind: 'usage', result: 'stored' }, result.usage);
      deps.metrics.records.inc({ kind: 'usage', result: 'duplicate' }, usage.length - result.usage);
      deps.metrics.records.inc({ kind: 'event', result: 'stored' }, result.events);
      deps.metrics.records.inc({ kind: 'event', result: 'duplicate' }, events.length - result.events);
      // Rate-limited and never rejecting; not awaited, so the batch's answer does not wait for an ANALYZE.
      void deps.statistics?.refresh(['sims', 'usage_records', 'sim_usage', 'sim_events']);
      // Webhooks, live events and alert evaluation only after commit: a rolled-back batch must not announce anything.
      for (const n of notifications) await deps.notify(n.type, n.payload);
      if (advanced.size > 0) deps.quotaChanged?.([...advanced]);
      const received = usage.length + events.length;
      const stored = result.usage + result.events;
      return { received, stored, duplicates: received - stored, unmatched: result.unmatched };
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
  notifications: Array<{ type: Parameters<Notify>[0]; payload: Record<string, unknown> }>,
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
