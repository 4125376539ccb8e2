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
import type { ProviderMetrics } from '../metrics/provider.js';
import type { Priority } from './provider.types.js';
import { PENALIZE_SCRIPT, RESERVE_SCRIPT, reserveInMemory, type MemoryBudget, type Params, type Reservation } from './governor.budget.js';

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
  /**
   * Processes sharing the Redis budgets (default 1). While Redis is unreachable each process paces
   * itself at 1 / peers of the rate with no burst, so together they still stay inside 1NCE's limit.
   */
  peers?: () => number;
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

  // While Redis is down: this process's share of the budget (interval x peers, no burst).
  let sharedDown = false;
  const shareOf = (p: Params): Params => {
    const peers = Math.max(1, Math.floor(options.peers?.() ?? 1));
    return {
      ...p,
      intervalMs: p.intervalMs * peers,
      toleranceMs: 0,
      backgroundIntervalMs: p.backgroundIntervalMs * peers,
      bulkBackgroundIntervalMs: p.bulkBackgroundIntervalMs * peers,
    };
  };

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
        if (sharedDown) {
          sharedDown = false;
          options.logger?.warn({ family }, 'rate governor: Redis is back, budgets are shared again');
        }
        return { delayMs: Number(result[0]), reserved: Number(result[1]) === 1 };
      } catch (error) {
        // Redis down must not stop provider calls: fall back to this process's share of the budget.
        if (!sharedDown) {
          sharedDown = true;
          options.logger?.warn({ err: error, family, peers: options.peers?.() ?? 1 }, 'rate governor: Redis unavailable, using this process\'s share of the budget');
        }
        return reserveInMemory(memoryBudget(key), shareOf(p), priority, now());
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
