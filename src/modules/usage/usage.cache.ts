import type { Cache } from '../../cache.js';

/**
 * Cached usage answers carry a per-SIM generation in their key, so one write (a poll, a back-fill)
 * invalidates every cached range of that SIM at once.
 */
export const usageCacheKeys = {
  generation: (iccid: string) => `usage-gen:${iccid}`,
  answer: (iccid: string, generation: string, rest: string) => `usage:${iccid}:${generation}:${rest}`,
};

/** How long a cached usage answer may be served (writes invalidate earlier), and how long a generation lives. */
export const USAGE_CACHE_TTL_SECONDS = { answer: 120, generation: 86_400 };

/** Invalidates every cached usage answer of a SIM at once by moving its generation. */
export async function invalidateUsage(cache: Cache, iccid: string): Promise<void> {
  await cache.set(usageCacheKeys.generation(iccid), `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`, USAGE_CACHE_TTL_SECONDS.generation);
}
