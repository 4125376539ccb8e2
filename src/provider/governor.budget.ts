/**
 * The budget arithmetic of the rate governor (governor.ts): GCRA per family and scope, with the
 * background share gate. The same arithmetic twice: as atomic Lua scripts over one Redis hash
 * (shared by every process, on Redis' clock) and in memory (one process, no Redis).
 */
import type { Priority } from './provider.types.js';

export interface Params {
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
export interface Reservation {
  delayMs: number;
  reserved: boolean;
}

// Atomic GCRA reservation. Times in microseconds from Redis' own clock, so process clocks may drift.
// KEYS[1] budget hash; ARGV interval, tolerance, priority, background interval (interactive demand),
// background interval (bulk demand), demand window, ttl ms. Returns {delay ms, reserved 1|0}.
// Fields: tat (GCRA), bl (last background slot), li / lb (last interactive / bulk demand).
export const RESERVE_SCRIPT = `
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
export const PENALIZE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('HGET', KEYS[1], 'tat')) or 0
local wanted = now + tonumber(ARGV[1]) + tonumber(ARGV[2])
if wanted > tat then redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', wanted)) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

export interface MemoryBudget {
  tat: number;
  /** Slot of the last background grant (undefined before the first). */
  lastBackground: number | undefined;
  lastInteractive: number;
  lastBulk: number;
}

export function reserveInMemory(budget: MemoryBudget, params: Params, priority: Priority, now: number): Reservation {
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
