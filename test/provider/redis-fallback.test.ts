/**
 * Shared limits while Redis fails (ADR 0018), with a Redis client whose every command fails (what
 * ioredis does with the offline queue off while disconnected): the governor paces at its share and
 * the API limit store enforces limit / peers. The same with a real Redis going away is
 * test/chaos/redis-outage.test.ts.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { sharedLimitStore } from '../../src/http/auth/rate-limit-store.js';
import { createGovernor } from '../../src/provider/governor.js';

const down = { eval: () => Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false")) } as unknown as Redis;

describe('shared limits with Redis down', () => {
  it('the governor paces at interval x peers, with no burst', async () => {
    const governor = createGovernor({ redis: down, peers: () => 3, limits: { sims: { limit: 50, windowMs: 1000, burst: 5 } } });
    const interval = governor.intervalMs('sims');
    await governor.acquire('sims', { scope: 'a' });
    const started = performance.now();
    for (let i = 0; i < 4; i++) await governor.acquire('sims', { scope: 'a' });
    const gap = (performance.now() - started) / 4;
    // Three peers: each grant waits three intervals; the burst of 5 is not granted while degraded.
    expect(gap).toBeGreaterThan(interval * 2.5);
  });

  it('the API limit store counts each request as `peers` requests, and never errors', async () => {
    const modes: string[] = [];
    const Store = sharedLimitStore({ redis: down, namespace: 'rl:', peers: () => 2, onMode: (mode) => modes.push(mode) });
    const store = new Store({});
    const incr = () =>
      new Promise<{ current: number; ttl: number }>((resolve, reject) =>
        store.incr('user:1', (error, result) => (error === null && result !== undefined ? resolve(result) : reject(error ?? new Error('no result'))), 1000, 10),
      );
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) counts.push((await incr()).current);
    // Limit 10 with two peers: this process allows 5, the sixth exceeds.
    expect(counts).toEqual([2, 4, 6, 8, 10, 12]);
    expect(modes).toEqual(['local']);
    // Another caller has its own window; a route's child store shares the caller's window.
    const child = store.child({} as never);
    const other = await new Promise<{ current: number }>((resolve) => child.incr('user:2', (_e, r) => resolve(r!), 1000, 10));
    expect(other.current).toBe(2);
  });
});
