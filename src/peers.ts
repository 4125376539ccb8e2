/**
 * How many processes share this installation's Redis, so that each one knows its safe share of a
 * shared limit when Redis goes away (ADR 0018). Every process writes a heartbeat into one sorted
 * set; the count of heartbeats younger than `staleMs` is the number of peers. While Redis is
 * unreachable the last count seen is kept: the peers are still there, they just cannot be counted.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** How often a process renews its heartbeat. */
const HEARTBEAT_MS = 5_000;
/** A peer silent for three heartbeats is gone (crashed, scaled down). */
const STALE_MS = 3 * HEARTBEAT_MS;

// KEYS[1] the set; ARGV member, now ms, stale ms, ttl ms. Drops stale members, counts the rest.
const HEARTBEAT_SCRIPT = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return redis.call('ZCARD', KEYS[1])
`;

/** The peer count of one process. */
export interface Peers {
  /** Processes sharing Redis, this one included (at least 1); the last count seen while Redis is down. */
  count(): number;
  /** True while the last heartbeat reached Redis. */
  connected(): boolean;
  /** Renews the heartbeat now (start-up, tests); never rejects. */
  beat(): Promise<void>;
  stop(): Promise<void>;
}

/** A fixed count, for processes without Redis (nothing is shared, so the share is everything). */
export function singleProcess(): Peers {
  return { count: () => 1, connected: () => false, beat: () => Promise.resolve(), stop: () => Promise.resolve() };
}

/** Starts counting the processes that share `redis` under `key`. */
export function createPeers(options: { redis: Redis; key: string; heartbeatMs?: number; now?: () => number }): Peers {
  const now = options.now ?? Date.now;
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const staleMs = Math.max(STALE_MS, 3 * heartbeatMs);
  const member = randomUUID();
  let known = 1;
  let up = false;

  const beat = async (): Promise<void> => {
    try {
      const result = await options.redis.eval(HEARTBEAT_SCRIPT, 1, options.key, member, now(), staleMs, staleMs * 4);
      known = Math.max(1, Number(result));
      up = true;
    } catch {
      up = false;
    }
  };
  const timer = setInterval(() => void beat(), heartbeatMs);
  timer.unref();
  void beat();

  return {
    count: () => known,
    connected: () => up,
    beat,
    async stop() {
      clearInterval(timer);
      // Leave at once rather than after STALE_MS, so the others' share grows back promptly.
      await options.redis.zrem(options.key, member).catch(() => undefined);
    },
  };
}
