/**
 * Rate governor: keeps every process of the installation inside 1NCE's documented limits per
 * endpoint family, and decides who goes first.
 *
 * Budget: GCRA (generic cell rate algorithm) per family and scope. Each grant advances a
 * "theoretical arrival time" by one emission interval, so requests leave evenly spaced (one every
 * 103 ms for 10 req/s at 97 % utilisation) instead of in bursts that a fixed-window or
 * token-bucket limiter on the other side would punish. With Redis the state lives in one hash
 * updated by an atomic Lua script using Redis' clock, so N processes share one budget; without
 * Redis the same arithmetic runs in memory.
 *
 * Priorities: each process keeps a priority queue per budget in front of it and reserves only ONE
 * slot at a time; when the slot comes up, the highest-priority waiter at that moment takes it. A
 * click therefore waits at most about one interval per competing process, never behind a queued
 * sweep. Across processes the shared state remembers when interactive and bulk calls were last
 * seen: while any process has made a bulk call in the last `demandWindowMs`, background calls get
 * at most `backgroundShareUnderBulk` (5 %) of the rate, and while only interactive demand exists
 * at most `backgroundShare` (80 %). A background call over its share does not reserve a slot (that
 * would push everybody's next slot back); it is told when to ask again, so the slots it leaves go
 * to bulk and interactive callers in any process. Without this, a sweep in one process took about
 * 70 % of the slots from a bulk job in another (or in the same one, whenever the job was between
 * calls), and a 10,000-SIM job ran at a third of the rate.
 */
import type { Redis } from 'ioredis';
import type { ProviderMetrics } from './provider.metrics.js';
import type { Priority } from './provider.types.js';

/** Endpoint families with separate 1NCE limits. */
export type Family = 'sims' | 'oauth' | 'orders' | 'products' | 'support';

export interface FamilyLimit {
  /** Requests allowed per window by 1NCE. */
  limit: number;
  windowMs: number;
  /** Requests that may leave back to back; 1 means perfectly even pacing. */
  burst: number;
}

/** 1NCE's documented limits (help.1nce.com API rate limits, 2026). */
export const DEFAULT_LIMITS: Readonly<Record<Family, FamilyLimit>> = {
  sims: { limit: 10, windowMs: 1000, burst: 1 },
  oauth: { limit: 600, windowMs: 60_000, burst: 5 },
  orders: { limit: 100, windowMs: 300_000, burst: 5 },
  products: { limit: 100, windowMs: 300_000, burst: 5 },
  support: { limit: 100, windowMs: 300_000, burst: 5 },
};

export interface GovernorOptions {
  limits?: Partial<Record<Family, Partial<FamilyLimit>>>;
  /** When set, budgets are shared by every process using the same Redis and key prefix. */
  redis?: Redis;
  keyPrefix?: string;
  /**
   * Fraction of the limit actually used. Below 1 so that timer and network jitter can never put
   * limit + 1 requests into one of 1NCE's windows (a 3 % gap absorbs ~30 ms of jitter at 10 req/s).
   */
  utilisation?: number;
  /** Share of the rate background calls may use while interactive demand exists. */
  backgroundShare?: number;
  /**
   * Share of the rate background calls may use while bulk demand exists: small but not zero, so a
   * sweep still advances during a long per-SIM job (one call every ~2 s at 10 req/s).
   */
  backgroundShareUnderBulk?: number;
  demandWindowMs?: number;
  metrics?: ProviderMetrics;
  logger?: { warn(obj: object, msg?: string): void };
  now?: () => number;
}

export interface AcquireOptions {
  priority?: Priority;
  signal?: AbortSignal | undefined;
  /** Budget scope: the provider account for `sims` (1NCE limits per customer), `ip` for per-IP families. */
  scope: string;
}

export interface Governor {
  /** Resolves when the caller may send one request of `family`; rejects with the abort reason if aborted. */
  acquire(family: Family, options: AcquireOptions): Promise<void>;
  /** Pushes the family's next slot back (1NCE answered 429 with Retry-After), for every process. */
  penalize(family: Family, scope: string, delayMs: number): Promise<void>;
  /** Effective emission interval in ms, for reports. */
  intervalMs(family: Family): number;
  /**
   * Requests this process was granted per family within the family's 1NCE window (all scopes
   * together), with the documented limit: the dashboard's "provider budget used".
   */
  usage(): FamilyUsage[];
}

/** Requests granted by this process in the last window of one endpoint family. */
export interface FamilyUsage {
  family: Family;
  used: number;
  limit: number;
  windowMs: number;
}

interface Params {
  intervalMs: number;
  toleranceMs: number;
  /** Least spacing of background slots while interactive demand exists. */
  backgroundIntervalMs: number;
  /** Least spacing of background slots while bulk demand exists. */
  bulkBackgroundIntervalMs: number;
  demandWindowMs: number;
  ttlMs: number;
}

/** A reservation: a slot `delayMs` from now, or (background over its share) no slot: ask again in `delayMs`. */
interface Reservation {
  delayMs: number;
  reserved: boolean;
}

interface Waiter {
  priority: Priority;
  enqueuedAt: number;
  resolve: () => void;
  reject: (reason: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

interface Queue {
  waiters: Record<Priority, Waiter[]>;
  running: boolean;
}

const PRIORITIES: readonly Priority[] = ['interactive', 'bulk', 'background'];

// Atomic GCRA reservation. Times in microseconds from Redis' own clock, so process clocks may drift.
// KEYS[1] budget hash; ARGV interval, tolerance, priority, background interval (interactive demand),
// background interval (bulk demand), demand window, ttl ms. Returns {delay ms, reserved 1|0}.
// Fields: tat (GCRA), bl (last background slot), li / lb (last interactive / bulk demand).
const RESERVE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local priority = ARGV[3]
local bgInteractive = tonumber(ARGV[4])
local bgBulk = tonumber(ARGV[5])
local demandWindow = tonumber(ARGV[6])
local state = redis.call('HMGET', KEYS[1], 'tat', 'bl', 'li', 'lb')
local tat = tonumber(state[1]) or 0
local bl = tonumber(state[2])
local li = tonumber(state[3]) or 0
local lb = tonumber(state[4]) or 0
if priority == 'interactive' then li = now end
if priority == 'bulk' then lb = now end
local slot = math.max(now, tat - tolerance)
if priority == 'background' and bl ~= nil then
  local gate = 0
  if now - lb < demandWindow then gate = bl + bgBulk
  elseif now - li < demandWindow then gate = bl + bgInteractive end
  if slot < gate then return {math.floor((gate - now) / 1000), 0} end
end
tat = math.max(tat, slot) + interval
if priority == 'background' then bl = slot end
redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', tat), 'li', string.format('%.0f', li), 'lb', string.format('%.0f', lb))
if bl ~= nil then redis.call('HSET', KEYS[1], 'bl', string.format('%.0f', bl)) end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return {math.floor((slot - now) / 1000), 1}
`;

// KEYS[1] budget hash; ARGV delay µs, tolerance µs, ttl ms.
const PENALIZE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('HGET', KEYS[1], 'tat')) or 0
local wanted = now + tonumber(ARGV[1]) + tonumber(ARGV[2])
if wanted > tat then redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', wanted)) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

interface MemoryBudget {
  tat: number;
  /** Slot of the last background grant (undefined before the first). */
  lastBackground: number | undefined;
  lastInteractive: number;
  lastBulk: number;
}

function reserveInMemory(budget: MemoryBudget, params: Params, priority: Priority, now: number): Reservation {
  if (priority === 'interactive') budget.lastInteractive = now;
  if (priority === 'bulk') budget.lastBulk = now;
  const slot = Math.max(now, budget.tat - params.toleranceMs);
  if (priority === 'background' && budget.lastBackground !== undefined) {
    let gate = 0;
    if (now - budget.lastBulk < params.demandWindowMs) gate = budget.lastBackground + params.bulkBackgroundIntervalMs;
    else if (now - budget.lastInteractive < params.demandWindowMs) gate = budget.lastBackground + params.backgroundIntervalMs;
    if (slot < gate) return { delayMs: gate - now, reserved: false };
  }
  budget.tat = Math.max(budget.tat, slot) + params.intervalMs;
  if (priority === 'background') budget.lastBackground = slot;
  return { delayMs: slot - now, reserved: true };
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError');
}

/** Creates a governor; with `redis` the budgets are shared across processes. */
export function createGovernor(options: GovernorOptions = {}): Governor {
  const now = options.now ?? Date.now;
  const utilisation = options.utilisation ?? 0.97;
  const backgroundShare = options.backgroundShare ?? 0.8;
  const backgroundShareUnderBulk = options.backgroundShareUnderBulk ?? 0.05;
  const prefix = options.keyPrefix ?? 'simfleet:provider';
  const redis = options.redis;

  const params = {} as Record<Family, Params>;
  for (const family of Object.keys(DEFAULT_LIMITS) as Family[]) {
    const merged = { ...DEFAULT_LIMITS[family], ...options.limits?.[family] };
    const burst = Math.max(1, Math.min(Math.floor(merged.burst), merged.limit));
    // At most ceil(W / I) + burst - 1 requests fit in any window W; solve for I so that is <= limit.
    const intervalMs = merged.windowMs / (merged.limit - burst + 1) / utilisation;
    params[family] = {
      intervalMs,
      toleranceMs: (burst - 1) * intervalMs,
      backgroundIntervalMs: intervalMs / backgroundShare,
      bulkBackgroundIntervalMs: intervalMs / backgroundShareUnderBulk,
      demandWindowMs: options.demandWindowMs ?? 5000,
      ttlMs: Math.ceil(Math.max(merged.windowMs, intervalMs * burst) * 2 + 60_000),
    };
  }

  const memory = new Map<string, MemoryBudget>();
  const queues = new Map<string, Queue>();
  const limits = {} as Record<Family, FamilyLimit>;
  for (const family of Object.keys(DEFAULT_LIMITS) as Family[]) limits[family] = { ...DEFAULT_LIMITS[family], ...options.limits?.[family] };
  // Grant times per family, oldest first; trimmed to the window on every grant and read.
  const grants = new Map<Family, number[]>();
  const trim = (family: Family, at: number): number[] => {
    const list = grants.get(family) ?? [];
    const from = at - limits[family].windowMs;
    let drop = 0;
    while (drop < list.length && list[drop]! <= from) drop += 1;
    if (drop > 0) list.splice(0, drop);
    grants.set(family, list);
    return list;
  };

  function memoryBudget(key: string): MemoryBudget {
    let budget = memory.get(key);
    if (budget === undefined) {
      budget = { tat: 0, lastBackground: undefined, lastInteractive: -Infinity, lastBulk: -Infinity };
      memory.set(key, budget);
    }
    return budget;
  }

  async function reserve(key: string, family: Family, priority: Priority): Promise<Reservation> {
    const p = params[family];
    if (redis !== undefined) {
      try {
        const result = (await redis.eval(
          RESERVE_SCRIPT,
          1,
          key,
          Math.round(p.intervalMs * 1000),
          Math.round(p.toleranceMs * 1000),
          priority,
          Math.round(p.backgroundIntervalMs * 1000),
          Math.round(p.bulkBackgroundIntervalMs * 1000),
          Math.round(p.demandWindowMs * 1000),
          p.ttlMs,
        )) as [number, number];
        return { delayMs: Number(result[0]), reserved: Number(result[1]) === 1 };
      } catch (error) {
        // Redis down must not stop provider calls: fall back to this process's own budget.
        options.logger?.warn({ err: error, family }, 'rate governor: Redis unavailable, using the in-process budget');
      }
    }
    return reserveInMemory(memoryBudget(key), p, priority, now());
  }

  function nextWaiter(queue: Queue): Waiter | undefined {
    for (const priority of PRIORITIES) {
      const list = queue.waiters[priority];
      while (list.length > 0 && list[0]!.done) list.shift();
      if (list.length > 0) return list[0];
    }
    return undefined;
  }

  async function pump(key: string, family: Family, queue: Queue): Promise<void> {
    queue.running = true;
    try {
      for (;;) {
        const head = nextWaiter(queue);
        if (head === undefined) break;
        const { delayMs, reserved } = await reserve(key, family, head.priority);
        if (!reserved) {
          // Background over its share: wait (at most an interval, so a bulk or interactive call
          // arriving meanwhile is not kept waiting) and decide again.
          await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(delayMs, params[family].intervalMs))));
          continue;
        }
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        // Whoever ranks highest now takes the slot: an interactive call that arrived while we slept wins.
        const waiter = nextWaiter(queue);
        if (waiter === undefined) continue;
        queue.waiters[waiter.priority].shift();
        waiter.done = true;
        trim(family, now()).push(now());
        if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
        options.metrics?.governorWait.observe({ family, priority: waiter.priority }, (now() - waiter.enqueuedAt) / 1000);
        waiter.resolve();
      }
    } finally {
      queue.running = false;
    }
  }

  return {
    acquire(family, { priority = 'interactive', signal, scope }) {
      if (signal?.aborted === true) return Promise.reject(abortReason(signal));
      const key = `${prefix}:gov:${family}:${scope}`;
      let queue = queues.get(key);
      if (queue === undefined) {
        queue = { waiters: { interactive: [], bulk: [], background: [] }, running: false };
        queues.set(key, queue);
      }
      const q = queue;
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = { priority, enqueuedAt: now(), resolve, reject, signal, onAbort: undefined, done: false };
        if (signal !== undefined) {
          waiter.onAbort = () => {
            if (waiter.done) return;
            waiter.done = true;
            reject(abortReason(signal));
          };
          signal.addEventListener('abort', waiter.onAbort, { once: true });
        }
        q.waiters[priority].push(waiter);
        if (!q.running) {
          pump(key, family, q).catch((error: unknown) => {
            // reserve() never throws (Redis errors fall back); anything here is a bug: fail the waiters loudly.
            const failure = error instanceof Error ? error : new Error(String(error));
            for (const p of PRIORITIES) for (const w of q.waiters[p].splice(0)) if (!w.done) w.reject(failure);
          });
        }
      });
    },

    async penalize(family, scope, delayMs) {
      const p = params[family];
      const key = `${prefix}:gov:${family}:${scope}`;
      if (redis !== undefined) {
        try {
          await redis.eval(PENALIZE_SCRIPT, 1, key, Math.round(delayMs * 1000), Math.round(p.toleranceMs * 1000), p.ttlMs);
          return;
        } catch (error) {
          options.logger?.warn({ err: error, family }, 'rate governor: Redis unavailable, penalising locally');
        }
      }
      const budget = memoryBudget(key);
      budget.tat = Math.max(budget.tat, now() + delayMs + p.toleranceMs);
    },

    intervalMs: (family) => params[family].intervalMs,

    usage: () =>
      (Object.keys(DEFAULT_LIMITS) as Family[]).map((family) => ({
        family,
        used: trim(family, now()).length,
        limit: limits[family].limit,
        windowMs: limits[family].windowMs,
      })),
  };
}
