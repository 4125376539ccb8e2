/**
 * Data Streamer emitter (reference §11.1-11.3): POSTs JSON arrays (<= batchSize, max 3000) of
 * Platform-1 usage or event records with a Basic auth header. A batch that is not acknowledged with
 * HTTP 200 is resent unchanged (same ids) after an exponential backoff, so receivers see duplicates
 * exactly as 1NCE documents; after too many failures the stream goes FAILED, as in the portal.
 */
import type { SimContext } from './context.js';
import { DAY_MS, mbNumber, streamerDate } from './formats.js';
import { operatorAt } from './network-model.js';
import { eventNested } from './render.js';
import { eventsBetween } from './sim-views.js';
import { usageBetween, type SimTimeline } from './usage-model.js';

/** Streamer settings (`SimulatorOptions.streamer`). */
export interface StreamerOptions {
  url: string;
  username: string;
  password: string;
  intervalMs?: number;
  batchSize?: number;
}

/** Outcome of one delivery attempt. */
export interface FlushResult {
  state: 'RUNNING' | 'FAILED';
  attempted: boolean;
  delivered: boolean;
  kind: 'usage' | 'event' | undefined;
  records: number;
  status: number | undefined;
  error: string | undefined;
}

const MAX_BATCH = 3000;
const MAX_ATTEMPTS = 12;
const BASE_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 60_000;
/** SIMs examined per scan step, so a 100,000-SIM fleet never blocks the event loop for long. */
const SCAN_CHUNK = 5_000;

type StreamRecord = Record<string, unknown>;

/** Creates a streamer bound to the simulator's context (reads `ctx.state` live, so it follows resets). */
export function createStreamer(ctx: SimContext, options: StreamerOptions) {
  const batchSize = Math.min(MAX_BATCH, Math.max(1, options.batchSize ?? 500));
  const intervalMs = options.intervalMs ?? 5_000;
  const authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
  let usage: StreamRecord[] = [];
  let events: StreamRecord[] = [];
  let batch: { kind: 'usage' | 'event'; records: StreamRecord[]; attempts: number } | undefined;
  let failedState = false;
  let nextAttemptAt = 0;
  let windowFrom = ctx.clock.nowMs();
  let windowTo = windowFrom;
  let cursor = Number.POSITIVE_INFINITY;
  let nextUsageId = 4_000_000_000 + ctx.state.fleet.seed * 1_000_000;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<FlushResult> | undefined;
  const abort = new AbortController();

  const usageRecords = (t: SimTimeline, from: number, to: number): StreamRecord[] => {
    const u = usageBetween(t, from, to);
    const b = t.base;
    const op = operatorAt(t, to);
    const common = {
      imsi: b.imsi,
      imsi_id: b.imsiId,
      organisation: { name: ctx.organisation.name, id: ctx.organisation.id },
      start_timestamp: streamerDate(from),
      end_timestamp: streamerDate(to),
      sim: { msisdn: b.msisdn, iccid: b.iccid, id: b.simId, production_date: streamerDate(b.activationMs - 30 * DAY_MS) },
      currency: { id: 1, symbol: '€', code: 'EUR' },
      operator: { id: op.id, name: op.name, mnc: op.mnc, country: { id: op.country.id, mcc: op.country.mcc, name: op.country.name } },
      tariff: { id: 398, name: '1NCE Production 01', ratezone: { id: 2067, name: 'Rate Zone 2 (EU - DE)' } },
      endpoint: { id: b.endpointId, name: b.iccid, ip_address: b.ipAddress, imei: b.imei ?? null, tags: null, balance: null },
    };
    const out: StreamRecord[] = [];
    if (u.dataMicro > 0) {
      const tx = Math.round(u.dataMicro * 0.7);
      const total = mbNumber(u.dataMicro);
      out.push({ id: nextUsageId++, ...common, traffic_type: { id: 5, description: 'Data' }, cost: total, volume: { total, tx: mbNumber(tx), rx: mbNumber(u.dataMicro - tx) } });
    }
    // One record per SMS; MO-SMS travel upstream (tx), MT-SMS downstream (rx).
    for (let k = 0; k < Math.min(u.mo, 5); k++) out.push({ id: nextUsageId++, ...common, traffic_type: { id: 6, description: 'SMS' }, cost: 1.0, volume: { total: 1.0, tx: 1.0, rx: 0.0 } });
    for (let k = 0; k < Math.min(u.mt, 5); k++) out.push({ id: nextUsageId++, ...common, traffic_type: { id: 6, description: 'SMS' }, cost: 1.0, volume: { total: 1.0, tx: 0.0, rx: 1.0 } });
    return out;
  };

  /** Scans the fleet for records of the current window until a batch can be filled. */
  const scan = (): void => {
    const { store, fleet } = ctx.state;
    let budget = SCAN_CHUNK * 4;
    while (usage.length < batchSize && events.length < batchSize && budget > 0) {
      if (cursor >= fleet.size) {
        const now = ctx.clock.nowMs();
        if (now <= windowTo) return;
        // Windows of at most a day keep usage records session-sized after a big `advance`.
        windowFrom = windowTo;
        windowTo = Math.min(now, windowFrom + DAY_MS);
        cursor = 0;
      }
      const end = Math.min(fleet.size, cursor + SCAN_CHUNK);
      for (; cursor < end; cursor++) {
        if (!store.exists(cursor)) continue;
        const t = store.timeline(cursor);
        usage.push(...usageRecords(t, windowFrom, windowTo));
        for (const e of eventsBetween(store, cursor, t, windowFrom + 1, windowTo)) events.push(eventNested(t, e, ctx.organisation, true));
      }
      budget -= SCAN_CHUNK;
    }
  };

  const nextBatch = (): typeof batch => {
    if (usage.length < batchSize && events.length < batchSize) scan();
    if (usage.length === 0 && events.length === 0) return undefined;
    // One stream type per request, as 1NCE streams carry either usage or events.
    const kind = usage.length >= events.length ? 'usage' : 'event';
    const source = kind === 'usage' ? usage : events;
    const records = source.slice(0, batchSize);
    if (kind === 'usage') usage = usage.slice(records.length);
    else events = events.slice(records.length);
    return { kind, records, attempts: 0 };
  };

  const attempt = async (): Promise<FlushResult> => {
    const result: FlushResult = { state: failedState ? 'FAILED' : 'RUNNING', attempted: false, delivered: false, kind: undefined, records: 0, status: undefined, error: undefined };
    if (failedState) return result;
    batch ??= nextBatch();
    if (batch === undefined) return result;
    const current = batch;
    result.attempted = true;
    result.kind = current.kind;
    result.records = current.records.length;
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify(current.records),
        redirect: 'manual',
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(10_000)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      result.status = response.status;
      // Only HTTP 200 acknowledges a batch; redirects are not followed.
      if (response.status === 200) {
        batch = undefined;
        result.delivered = true;
        ctx.stats.streamer.batchesDelivered++;
        ctx.stats.streamer.recordsDelivered += current.records.length;
        return result;
      }
    } catch (error) {
      result.error = error instanceof Error ? error.message : String(error);
    }
    ctx.stats.streamer.failedAttempts++;
    current.attempts++;
    nextAttemptAt = Date.now() + Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (current.attempts - 1));
    if (current.attempts >= MAX_ATTEMPTS) failedState = true;
    result.state = failedState ? 'FAILED' : 'RUNNING';
    return result;
  };

  const run = (): Promise<FlushResult> => {
    inFlight ??= attempt().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    start(): void {
      timer = setInterval(() => {
        if (inFlight === undefined && Date.now() >= nextAttemptAt) void run();
      }, intervalMs);
      timer.unref();
    },
    /** Attempts one delivery now, ignoring the backoff timer (tests, `POST /_simulator/streamer/flush`). */
    flush: run,
    /** Forgets buffered and pending records and restarts the window at the (reset) clock. */
    reset(): void {
      usage = [];
      events = [];
      batch = undefined;
      failedState = false;
      nextAttemptAt = 0;
      windowFrom = ctx.clock.nowMs();
      windowTo = windowFrom;
      cursor = Number.POSITIVE_INFINITY;
    },
    /** Restarts a FAILED stream, as a customer would in the portal. */
    restart(): void {
      failedState = false;
      nextAttemptAt = 0;
      if (batch !== undefined) batch.attempts = 0;
    },
    status() {
      return { state: failedState ? 'FAILED' : 'RUNNING', pendingBatch: batch?.records.length ?? 0, attempts: batch?.attempts ?? 0, buffered: { usage: usage.length, event: events.length } };
    },
    async stop(): Promise<void> {
      if (timer !== undefined) clearInterval(timer);
      abort.abort();
      await inFlight?.catch(() => undefined);
    },
  };
}
