import type { Logger } from 'pino';

/**
 * Evaluates alert rules for SIMs soon after their quota or usage changed, off the path that changed
 * them: a sweep page, a detail fetch or a Data Streamer batch reports the ICCIDs it touched, and they
 * are evaluated together shortly after (coalesced, in batches, one evaluation at a time). The
 * 'check-quotas' schedule still sweeps every SIM (time-based rules such as expiry and offline).
 * Failures are logged and never reach the caller: a slow or failing evaluation never slows ingest.
 */
export interface AlertTrigger {
  /** Notes SIMs whose quota or usage changed. Never throws, never waits. */
  changed(iccids: Iterable<string>): void;
  /** Evaluates everything noted so far now, and resolves when done (tests, shutdown). */
  flush(): Promise<void>;
  /** Stops accepting changes and waits for a running evaluation. */
  stop(): Promise<void>;
}

export interface AlertTriggerDeps {
  evaluate(iccids: string[]): Promise<{ sims: number; raised: number; cleared: number }>;
  logger: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** How long changes are collected before an evaluation (default 250 ms). */
  delayMs?: number;
  /** Most ICCIDs per evaluation call (default 1,000). */
  batchSize?: number;
}

export function createAlertTrigger(deps: AlertTriggerDeps): AlertTrigger {
  const delayMs = deps.delayMs ?? 250;
  const batchSize = deps.batchSize ?? 1_000;
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const drain = async () => {
    while (pending.size > 0) {
      const batch = [...pending].slice(0, batchSize);
      for (const iccid of batch) pending.delete(iccid);
      try {
        const result = await deps.evaluate(batch);
        if (result.raised + result.cleared > 0) deps.logger.info({ ...result }, 'alerts evaluated after a quota or usage change');
      } catch (error) {
        deps.logger.warn({ err: error, sims: batch.length }, 'alert evaluation after a quota or usage change failed; check-quotas will retry');
      }
    }
  };

  const run = (): Promise<void> => {
    timer = undefined;
    running ??= drain().finally(() => {
      running = undefined;
      if (pending.size > 0 && !stopped) schedule();
    });
    return running;
  };

  const schedule = () => {
    if (timer !== undefined || running !== undefined) return;
    timer = setTimeout(() => void run(), delayMs);
    timer.unref();
  };

  return {
    changed(iccids) {
      if (stopped) return;
      for (const iccid of iccids) pending.add(iccid);
      if (pending.size > 0) schedule();
    },
    async flush() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      while (running !== undefined || pending.size > 0) await (running ?? run());
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      pending.clear();
      await running;
    },
  };
}
