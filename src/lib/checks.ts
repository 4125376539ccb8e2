/** How long one dependency check may take before it counts as down. */
export const CHECK_TIMEOUT_MS = 2_000;

/** The outcome of one dependency check (readiness, the fleet summary's health). */
export interface CheckResult {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}

/** Runs `fn` with a timeout and reports up/down with its latency; never rejects. */
export async function runCheck(fn: () => Promise<unknown>, timeoutMs = CHECK_TIMEOUT_MS): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up', latency_ms: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    // Only the message: connection errors can name hosts but never carry credentials.
    const message = error instanceof Error ? error.message : 'check failed';
    return { status: 'down', latency_ms: Math.round((performance.now() - started) * 100) / 100, error: message };
  } finally {
    clearTimeout(timer);
  }
}
