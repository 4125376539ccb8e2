/**
 * One HTTP exchange with 1NCE, done properly: governor slot, bearer token, per-attempt timeout
 * combined with the caller's signal, bounded retries by the policy in retry.ts, one forced token
 * refresh on 401, and every non-2xx answer mapped to a typed provider error. Bodies are parsed
 * tolerantly (empty, JSON, or an HTML page from a gateway); decoding into domain types is the
 * client's job.
 */
import {
  ProviderAuthError,
  ProviderBadResponse,
  ProviderNotFound,
  ProviderOperationRetired,
  ProviderRateLimited,
  ProviderRejected,
  ProviderTimeout,
  ProviderUnavailable,
  SimExpired,
  type ProviderErrorContext,
} from './errors.js';
import type { Family, Governor } from './governor.js';
import type { ProviderMetrics } from '../metrics/provider.js';
import type { CallOptions, TokenManager } from './provider.types.js';
import {
  classifyNetworkError,
  parseRetryAfter,
  planRetry,
  retryReason,
  sleep,
  type FailureKind,
  type RetryOptions,
} from './retry.js';
import { sanitizeJson, sanitizeText } from '../lib/text.js';

/** Minimal pino-compatible logger. */
export interface ProviderLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RequestSpec {
  /** Client operation name, used in metrics, logs and errors. */
  operation: string;
  family: Family;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the base URL, e.g. `/v2/sims/8988.../status`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** False for calls that create something at 1NCE: they are never retried once they may have arrived. */
  idempotent: boolean;
  /** What a 404 means, for the ProviderNotFound error. */
  notFound?: { resource: string; id: string };
}

export interface ProviderResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty body. */
  body: unknown;
}

export interface Transport {
  request(spec: RequestSpec, options?: CallOptions): Promise<ProviderResponse>;
}

export interface TransportOptions {
  baseUrl: string;
  accountKey: string;
  fetch: typeof fetch;
  timeoutMs: number;
  governor: Governor;
  tokens: TokenManager;
  metrics: ProviderMetrics;
  logger?: ProviderLogger | undefined;
  retry: RetryOptions;
  random?: () => number;
}

/** What we could learn from an error body: 1NCE has (at least) four shapes plus HTML pages. */
export interface ErrorBodySummary {
  code?: string;
  message?: string;
}

const MAX_MESSAGE = 300;

function clip(text: string): string {
  const flat = sanitizeText(text, { singleLine: true }).replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE)}…` : flat;
}

/**
 * Summarises an error body: v2 `{error_code, error_token, message}`, v1 Spring
 * `{status, error, message, path}`, token `{statusCode, errorCode, message}`, `{message}`,
 * or a non-JSON page (an HTML 503 from a gateway) reduced to its title.
 */
export function summarizeErrorBody(text: string, contentType: string | null): ErrorBodySummary {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  if (trimmed.startsWith('{')) {
    try {
      const body = JSON.parse(trimmed) as Record<string, unknown>;
      const summary: ErrorBodySummary = {};
      const code = body.error_token ?? body.errorCode ?? body.error ?? body.error_code;
      if (typeof code === 'string' || typeof code === 'number') summary.code = String(code);
      const message = body.message ?? body.error_description;
      if (typeof message === 'string' && message !== '') summary.message = clip(message);
      return summary;
    } catch {
      // Fall through: a broken JSON error body is treated like any other text.
    }
  }
  if (contentType?.includes('html') === true || /^<(!doctype|html)/i.test(trimmed)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(trimmed)?.[1] ?? /<h1[^>]*>([^<]*)<\/h1>/i.exec(trimmed)?.[1];
    return { message: title === undefined ? 'non-JSON (HTML) error page' : clip(title) };
  }
  return { message: clip(trimmed) };
}

/** Every ICCID-shaped number (19 or 20 digits) in an error body, once each, in order. */
export function listedIccids(text: string): string[] {
  return [...new Set(text.slice(0, 200_000).match(/(?<!\d)\d{19,20}(?!\d)/g) ?? [])];
}

/** Joins the base URL (with or without trailing slash) and a path plus query. */
export function buildUrl(baseUrl: string, path: string, query?: RequestSpec['query']): string {
  const base = baseUrl.endsWith('/') ? baseUrl.slice(0, -1) : baseUrl;
  const url = new URL(base + path);
  if (query !== undefined) {
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url.toString();
}

interface Failure {
  kind: FailureKind;
  error: Error;
  retryAfterMs?: number;
}

/**
 * Whether an answer says the operation itself is gone (only v1 paths retire, on 2026-12-31): 410 Gone;
 * a 404 on an operation that names no resource (the path, not an id, is unknown); or a 404 with a
 * `Sunset` header (RFC 8594). A 404 for an unknown ICCID or order stays a not-found.
 */
export function isRetirementSignal(spec: Pick<RequestSpec, 'path' | 'notFound'>, response: Pick<Response, 'status' | 'headers'>): boolean {
  if (!spec.path.startsWith('/v1/')) return false;
  if (response.status === 410) return true;
  return response.status === 404 && (spec.notFound === undefined || response.headers.has('sunset'));
}

/** Creates the transport for one provider account. */
export function createTransport(options: TransportOptions): Transport {
  const { governor, tokens, metrics, logger } = options;

  async function attempt(
    spec: RequestSpec,
    call: CallOptions,
    token: string,
  ): Promise<{ response: Response; text: string } | Failure> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = call.signal === undefined ? timeout : AbortSignal.any([call.signal, timeout]);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    let body: string | undefined;
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/json;charset=UTF-8';
      body = JSON.stringify(spec.body);
    }
    const started = performance.now();
    const context: ProviderErrorContext = { operation: spec.operation };
    try {
      const response = await options.fetch(buildUrl(options.baseUrl, spec.path, spec.query), {
        method: spec.method,
        headers,
        ...(body !== undefined && { body }),
        signal,
        redirect: 'manual',
      });
      const text = await response.text();
      metrics.requestDuration.observe({ operation: spec.operation }, (performance.now() - started) / 1000);
      metrics.requests.inc({ operation: spec.operation, status: String(response.status) });
      return { response, text };
    } catch (error) {
      metrics.requestDuration.observe({ operation: spec.operation }, (performance.now() - started) / 1000);
      if (call.signal?.aborted === true) throw call.signal.reason;
      if (timeout.aborted) {
        metrics.requests.inc({ operation: spec.operation, status: 'timeout' });
        return {
          kind: 'timeout',
          error: new ProviderTimeout(options.timeoutMs, { ...context, mayHaveBeenProcessed: !spec.idempotent, cause: error }),
        };
      }
      metrics.requests.inc({ operation: spec.operation, status: 'network_error' });
      const kind = classifyNetworkError(error);
      return {
        kind,
        error: new ProviderUnavailable(
          { ...context, mayHaveBeenProcessed: kind === 'network' && !spec.idempotent, cause: error },
          'Could not reach 1NCE',
        ),
      };
    }
  }

  function parseBody(spec: RequestSpec, response: Response, text: string): ProviderResponse | Failure {
    const contentType = response.headers.get('content-type');
    if (text.trim() === '') return { status: response.status, headers: response.headers, body: undefined };
    try {
      // Cleaned of control characters on the way in: 1NCE may hold a label with a NUL, PostgreSQL cannot store one.
      return { status: response.status, headers: response.headers, body: sanitizeJson(JSON.parse(text) as unknown) };
    } catch (error) {
      const what = contentType?.includes('html') === true ? 'an HTML page' : 'malformed JSON';
      return {
        kind: 'bad_response',
        error: new ProviderBadResponse(
          { operation: spec.operation, upstreamStatus: response.status, mayHaveBeenProcessed: !spec.idempotent, cause: error },
          `1NCE answered ${response.status} with ${what}`,
        ),
      };
    }
  }

  function mapError(spec: RequestSpec, response: Response, text: string): Error | Failure {
    const status = response.status;
    const summary = summarizeErrorBody(text, response.headers.get('content-type'));
    const context: ProviderErrorContext = {
      operation: spec.operation,
      upstreamStatus: status,
      ...(summary.code !== undefined && { upstreamCode: summary.code }),
      ...(summary.message !== undefined && { upstreamMessage: summary.message }),
    };
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      return {
        kind: 'rate_limited',
        error: new ProviderRateLimited(retryAfterMs ?? 1000, context),
        ...(retryAfterMs !== undefined && { retryAfterMs }),
      };
    }
    if (status >= 500) {
      // A gateway 5xx does not prove the backend did nothing: a create may have happened.
      return { kind: 'server_error', error: new ProviderUnavailable({ ...context, mayHaveBeenProcessed: !spec.idempotent }) };
    }
    if (status === 401) return new ProviderAuthError(context, '1NCE rejected the access token');
    if (isRetirementSignal(spec, response)) return new ProviderOperationRetired({ ...context, path: spec.path });
    // 1NCE's 422 on a bulk call names the expired SIMs ("The following SIMs are expired ...: a, b");
    // read from the whole body, since the summary's message is clipped.
    if (status === 404 || status === 422) context.listedIccids = listedIccids(text);
    if (status === 404) {
      return new ProviderNotFound(spec.notFound?.resource ?? 'resource', spec.notFound?.id ?? spec.path, context);
    }
    if (status === 422) return new SimExpired(context);
    return new ProviderRejected(context);
  }

  return {
    async request(spec, call = {}) {
      const scope = spec.family === 'sims' ? options.accountKey : 'ip';
      let refreshedAfter401 = false;
      for (let attemptNo = 1; ; ) {
        await governor.acquire(spec.family, { priority: call.priority ?? 'interactive', signal: call.signal, scope });
        const token = await tokens.get(call.signal);
        const outcome = await attempt(spec, call, token);
        let failure: Failure;
        if ('response' in outcome) {
          const { response, text } = outcome;
          if (response.status >= 200 && response.status < 300) {
            const parsed = parseBody(spec, response, text);
            if ('status' in parsed) return parsed;
            failure = parsed;
          } else if (response.status === 401 && !refreshedAfter401) {
            // A 401 proves the request was not processed: refresh the token once and resend.
            refreshedAfter401 = true;
            metrics.retries.inc({ operation: spec.operation, reason: 'unauthorized' });
            await tokens.invalidate(token);
            continue;
          } else {
            const mapped = mapError(spec, response, text);
            if (mapped instanceof Error) throw mapped;
            failure = mapped;
            if (failure.kind === 'rate_limited') {
              metrics.rateLimited.inc({ family: spec.family });
              await governor.penalize(spec.family, scope, failure.retryAfterMs ?? 1000);
            }
          }
        } else {
          failure = outcome;
        }
        const delayMs = planRetry(failure.kind, attemptNo, spec.idempotent, options.retry, failure.retryAfterMs, options.random);
        if (delayMs === null) {
          logger?.warn(
            { operation: spec.operation, attempt: attemptNo, reason: failure.kind, code: (failure.error as { code?: string }).code },
            '1NCE call failed',
          );
          throw failure.error;
        }
        metrics.retries.inc({ operation: spec.operation, reason: retryReason(failure.kind) });
        logger?.debug({ operation: spec.operation, attempt: attemptNo, reason: failure.kind, delayMs }, 'retrying 1NCE call');
        await sleep(delayMs, call.signal);
        attemptNo++;
      }
    },
  };
}
