/**
 * Everything a simulator route needs, in one object. `state` is replaced wholesale by
 * `POST /_simulator/reset`, so routes always read it through the context.
 */
import type { SimulatorMode } from '../config.js';
import type { SimClock } from './clock.js';
import { createFleet, type Fleet } from './fleet.js';
import { noFaults, type createFaultInjector, type FaultKind } from './faults.js';
import { createAccountStore } from './orders.js';
import type { createRateLimiter } from './rate-limit.js';
import { createSimStore, type SimStore } from './sim-store.js';
import { createTokenStore } from './tokens.js';

/** Seeded, resettable state. */
export interface SimState {
  fleet: Fleet;
  store: SimStore;
  account: ReturnType<typeof createAccountStore>;
  tokens: ReturnType<typeof createTokenStore>;
}

/** Counters served by `GET /_simulator/stats`. */
export interface SimStats {
  requests: Record<string, number>;
  rateLimited: { total: number; sims: number; oauth: number; orders: number; products: number; support: number };
  /** Faults injected, in total and per kind (`rateLimitStorm` counts every 429 a storm answered). */
  faults: { total: number } & Record<FaultKind, number>;
  /** Side effects 1NCE performed: SMS accepted, SIMs topped up, orders placed; `perTarget` by `sms:<iccid>`, `topup:<iccid>`, `order:<reference>`. */
  effects: { sms: number; topups: number; orders: number; perTarget: Record<string, number> };
  tokensIssued: number;
  streamer: { batchesDelivered: number; recordsDelivered: number; failedAttempts: number };
}

/** Request limits per family (requests per window in seconds). */
export interface Limits {
  simsRps: number;
  oauthPerMinute: number;
  ordersPerFiveMinutes: number;
}

/** Shared by every route of one simulator instance. */
export interface SimContext {
  mode: SimulatorMode;
  /** Management API v1 retired: every /v1/ path answers 410 Gone (SIMULATOR_V1_RETIRED). */
  v1Retired: boolean;
  clientId: string;
  clientSecret: string;
  organisation: { id: number; name: string };
  limits: Limits;
  clock: SimClock;
  state: SimState;
  stats: SimStats;
  faults: ReturnType<typeof createFaultInjector>;
  limiter: ReturnType<typeof createRateLimiter>;
}

/** Builds fresh seeded state anchored at the clock's start. */
export function createState(options: { seed: number; fleetSize: number; epochMs: number; nowMs: () => number }): SimState {
  const fleet = createFleet({ seed: options.seed, size: options.fleetSize, epochMs: options.epochMs });
  return {
    fleet,
    store: createSimStore(fleet),
    account: createAccountStore(fleet),
    tokens: createTokenStore(options.nowMs),
  };
}

/** Zeroed counters. */
export function emptyStats(): SimStats {
  return {
    requests: {},
    rateLimited: { total: 0, sims: 0, oauth: 0, orders: 0, products: 0, support: 0 },
    faults: { total: 0, ...noFaults() },
    effects: { sms: 0, topups: 0, orders: 0, perTarget: {} },
    tokensIssued: 0,
    streamer: { batchesDelivered: 0, recordsDelivered: 0, failedAttempts: 0 },
  };
}

/** Counts one side effect 1NCE performed (`kind` sms | topup | order) on `target`. */
export function recordEffect(stats: SimStats, kind: 'sms' | 'topup' | 'order', target: string): void {
  if (kind === 'sms') stats.effects.sms++;
  else if (kind === 'topup') stats.effects.topups++;
  else stats.effects.orders++;
  const key = `${kind}:${target}`;
  stats.effects.perTarget[key] = (stats.effects.perTarget[key] ?? 0) + 1;
}
