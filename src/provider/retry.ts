/**
 * Retry policy of the 1NCE client: which failures are retried, and how long to wait.
 *
 * The rule that matters: a call that creates something at 1NCE (SMS, top-up, order, ticket,
 * extension) is retried only when the failure proves 1NCE did not process it - a 429 (rejected at
 * the gateway) or a connection that was never established. A timeout, a reset connection or a
 * 5xx after sending may mean the SMS went out or the order was placed; retrying could do it twice.
 */

export interface RetryOptions {
  /** Total attempts including the first. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryOptions> = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 10_000 };

/** What went wrong with one attempt, as far as retrying is concerned. */
export type FailureKind =
  /** 429: refused before processing. */
  | 'rate_limited'
  /** 5xx or an HTML outage page. */
  | 'server_error'
  /** Connection could not be established: the request never left. */
  | 'network_not_sent'
  /** Connection failed after it may have been sent (reset, socket closed). */
  | 'network'
  | 'timeout'
  /** 2xx with a body we could not parse (a truncated or garbled response). */
  | 'bad_response';

/** Retry reason label for metrics. */
export function retryReason(kind: FailureKind): string {
  return kind === 'network_not_sent' ? 'network' : kind;
}

/** Whether a failure of this kind may be retried for an idempotent / non-idempotent call. */
export function isRetryable(kind: FailureKind, idempotent: boolean): boolean {
  if (idempotent) return true;
  return kind === 'rate_limited' || kind === 'network_not_sent';
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^(attempt-1))]. */
export function backoffDelay(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * The delay before the next attempt, or null when the call must not be retried.
 * `attempt` is the number of the attempt that just failed (1-based). A Retry-After is a floor.
 */
export function planRetry(
  kind: FailureKind,
  attempt: number,
  idempotent: boolean,
  options: RetryOptions,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number | null {
  if (attempt >= options.maxAttempts || !isRetryable(kind, idempotent)) return null;
  const jittered = backoffDelay(attempt, options, random);
  return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered);
}

/** Parses `Retry-After` (delta seconds or HTTP date) into milliseconds; undefined when absent/invalid. */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

// Errors raised before a single byte of the request could reach 1NCE.
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Classifies a rejected `fetch` (undici wraps the socket error in `cause`). */
export function classifyNetworkError(error: unknown): 'network_not_sent' | 'network' {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return 'network_not_sent';
    current = (current as { cause?: unknown }).cause;
  }
  return 'network';
}

/** Sleeps `ms`, rejecting early with the abort reason when `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 && signal?.aborted !== true) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
