import { createHash } from 'node:crypto';
import { TooManyRequests } from '../../errors.js';
import type { CounterStore } from './login-throttle.js';

/**
 * Brute-force protection for the Data Streamer's HTTP Basic credential, per client IP (shared
 * through Redis when configured, like the login throttle). It runs before the credential is
 * compared, so a throttled source learns nothing, not even with the right password.
 *
 * 1NCE delivers from a handful of addresses and retries refused batches, so a generous budget costs
 * it nothing while a guesser gets FAILURES_PER_WINDOW tries per window and address.
 */
export const STREAMER_FAILURES_PER_WINDOW = 10;
export const STREAMER_FAILURE_WINDOW_SECONDS = 5 * 60;

/** Throttle decisions for Data Streamer authentication. */
export interface StreamerThrottle {
  /** Throws 429 `streamer_throttled` (with Retry-After) when `ip` used up its failures; else returns its failure count. */
  check(ip: string): Promise<number>;
  recordFailure(ip: string): Promise<void>;
  /** A right credential clears the address's failures (a fixed misconfiguration must not linger). */
  recordSuccess(ip: string): Promise<void>;
}

const key = (ip: string) => `fail:${createHash('sha256').update(ip).digest('hex').slice(0, 32)}`;

/** Creates the streamer throttle over a counter store. */
export function createStreamerThrottle(store: CounterStore): StreamerThrottle {
  return {
    async check(ip) {
      const failures = await store.read(key(ip));
      if (failures.count >= STREAMER_FAILURES_PER_WINDOW) {
        throw new TooManyRequests(failures.ttlSeconds, 'Too many failed Data Streamer authentications from this address; try again later', 'streamer_throttled');
      }
      return failures.count;
    },
    async recordFailure(ip) {
      await store.increment(key(ip), STREAMER_FAILURE_WINDOW_SECONDS);
    },
    async recordSuccess(ip) {
      await store.delete(key(ip));
    },
  };
}
