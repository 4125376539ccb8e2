/**
 * Token-bucket rate limits on real wall time (1NCE's gateway does not know about simulated time).
 * A bucket holds `capacity` requests and refills continuously, so a client that spaces exactly
 * `capacity` requests evenly over each window is never refused.
 */

/** Outcome of taking one request from a bucket. */
export type TakeResult = { ok: true } | { ok: false; retryAfterS: number };

/** Creates an empty limiter; `realNow` is injectable for unit tests. */
export function createRateLimiter(realNow: () => number = Date.now) {
  const buckets = new Map<string, { tokens: number; lastMs: number }>();

  return {
    /** Takes one request from the bucket `key` that allows `limit` requests per `windowS` seconds. */
    take(key: string, limit: number, windowS: number): TakeResult {
      const now = realNow();
      const ratePerMs = limit / (windowS * 1000);
      const bucket = buckets.get(key) ?? { tokens: limit, lastMs: now };
      bucket.tokens = Math.min(limit, bucket.tokens + (now - bucket.lastMs) * ratePerMs);
      bucket.lastMs = now;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      // Retry-After is whole seconds (HTTP), at least 1.
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000)) };
    },
    clear(): void {
      buckets.clear();
    },
  };
}
