/**
 * Simulated time. Runs at `speed` simulated seconds per real second from `start`, plus whatever
 * `advance()` added, so tests can jump a month without waiting.
 */

/** The simulator's clock as seen by the rest of the simulator (milliseconds since the epoch). */
export interface SimClock {
  now(): Date;
  nowMs(): number;
  advance(seconds: number): void;
  reset(): void;
}

/** Creates a clock; `realNow` is injectable so the clock itself is testable. */
export function createClock(options: { start: Date; speed: number; realNow?: () => number }): SimClock {
  const realNow = options.realNow ?? Date.now;
  const startMs = options.start.getTime();
  let realStart = realNow();
  let offsetMs = 0;

  const nowMs = (): number => Math.floor(startMs + (realNow() - realStart) * options.speed + offsetMs);

  return {
    nowMs,
    now: () => new Date(nowMs()),
    advance(seconds: number) {
      if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('seconds must be a non-negative number');
      offsetMs += seconds * 1000;
    },
    reset() {
      realStart = realNow();
      offsetMs = 0;
    },
  };
}
