/**
 * Typed errors of the 1NCE client. Each one extends AppError so the HTTP layer maps it without
 * knowing about 1NCE; `extensions` carry the operation and upstream status (never a token or
 * secret) so an operator can tell which call failed and how.
 */
import { AppError } from '../errors.js';

/** Context attached to every provider error. */
export interface ProviderErrorContext {
  /** Client operation name, e.g. `getSim`. */
  operation: string;
  /** HTTP status 1NCE answered with, when it answered at all. */
  upstreamStatus?: number;
  /** 1NCE's own error code/token (`NotFound`, `BadCredentials`...), when it sent one. */
  upstreamCode?: string;
  /** 1NCE's message, trimmed; never contains credentials (1NCE does not echo them). */
  upstreamMessage?: string;
  /** True when the request may have reached 1NCE before failing (outcome unknown: do not blindly resend). */
  mayHaveBeenProcessed?: boolean;
  /** ICCIDs 1NCE named in the error body (its 422 lists the expired SIMs of a bulk call), unclipped. */
  listedIccids?: readonly string[];
  cause?: unknown;
}

function extensionsOf(context: ProviderErrorContext): Record<string, unknown> {
  const extensions: Record<string, unknown> = { operation: context.operation, provider: '1nce' };
  if (context.upstreamStatus !== undefined) extensions.upstreamStatus = context.upstreamStatus;
  if (context.upstreamCode !== undefined) extensions.upstreamCode = context.upstreamCode;
  if (context.mayHaveBeenProcessed === true) extensions.mayHaveBeenProcessed = true;
  return extensions;
}

function withCause(context: ProviderErrorContext): { cause?: unknown } {
  return context.cause === undefined ? {} : { cause: context.cause };
}

/** 502: 1NCE rejected our credentials (token endpoint 400/401, or a 401 that survived one refresh). */
export class ProviderAuthError extends AppError {
  constructor(context: ProviderErrorContext, reason = '1NCE rejected the credentials') {
    super('provider_auth_failed', 502, 'Provider authentication failed', {
      detail: context.upstreamMessage === undefined ? reason : `${reason}: ${context.upstreamMessage}`,
      extensions: extensionsOf(context),
      ...withCause(context),
    });
  }
}

/** 404: 1NCE does not know the resource (404, or the observed empty 200 on a single-item GET). */
export class ProviderNotFound extends AppError {
  /** ICCIDs 1NCE named as unknown (a bulk call lists them); empty when it named none. */
  readonly iccids: readonly string[];
  constructor(
    readonly resource: string,
    readonly id: string,
    context: ProviderErrorContext,
  ) {
    super(resource === 'sim' ? 'sim_not_found_at_provider' : `${resource}_not_found_at_provider`, 404, 'Not found', {
      detail: `${resource} ${id} not found at 1NCE`,
      extensions: { ...extensionsOf(context), resource },
      ...withCause(context),
    });
    this.iccids = context.listedIccids ?? [];
  }
}

/** 422: the SIM is expired; 1NCE only permits extensions for it. */
export class SimExpired extends AppError {
  /** The expired ICCIDs 1NCE listed (a bulk call names every one; empty when it named none). */
  readonly iccids: readonly string[];
  constructor(context: ProviderErrorContext) {
    super('sim_expired', 422, 'SIM expired', {
      detail: context.upstreamMessage ?? 'The SIM is expired and cannot be modified; only an extension is permitted',
      extensions: extensionsOf(context),
      ...withCause(context),
    });
    this.iccids = context.listedIccids ?? [];
  }
}

/** 503 with Retry-After: 1NCE throttled us (or our own budget ran out) and retries are exhausted. */
export class ProviderRateLimited extends AppError {
  constructor(
    readonly retryAfterMs: number,
    context: ProviderErrorContext,
  ) {
    super('provider_rate_limited', 503, 'Provider rate limited', {
      detail: '1NCE is throttling requests; retry later',
      extensions: extensionsOf(context),
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
      ...withCause(context),
    });
  }
}

/** 503: 1NCE answered 5xx (or an HTML outage page) or could not be reached. */
export class ProviderUnavailable extends AppError {
  constructor(context: ProviderErrorContext, detail = '1NCE is unavailable') {
    super('provider_unavailable', 503, 'Provider unavailable', {
      detail: context.upstreamMessage === undefined ? detail : `${detail}: ${context.upstreamMessage}`,
      extensions: extensionsOf(context),
      ...withCause(context),
    });
  }
}

/** 504: no answer from 1NCE within the per-call timeout. */
export class ProviderTimeout extends AppError {
  constructor(
    readonly timeoutMs: number,
    context: ProviderErrorContext,
  ) {
    super('provider_timeout', 504, 'Provider timeout', {
      detail: `1NCE did not answer within ${timeoutMs} ms`,
      extensions: { ...extensionsOf(context), timeoutMs },
      ...withCause(context),
    });
  }
}

/** 502: 1NCE answered with something we cannot decode (malformed JSON, wrong shape). */
export class ProviderBadResponse extends AppError {
  constructor(context: ProviderErrorContext, detail = '1NCE returned a response that could not be decoded') {
    super('provider_bad_response', 502, 'Provider error', {
      detail: context.upstreamMessage === undefined ? detail : `${detail}: ${context.upstreamMessage}`,
      extensions: extensionsOf(context),
      ...withCause(context),
    });
  }
}

/**
 * 1NCE refused the request. 400 and 409 keep their status (the caller's input was bad or
 * conflicts with the SIM's state; 1NCE's message says why); anything else becomes 502.
 */
export class ProviderRejected extends AppError {
  constructor(context: ProviderErrorContext) {
    const upstream = context.upstreamStatus;
    const status = upstream === 400 || upstream === 409 ? upstream : 502;
    super(status === 409 ? 'provider_conflict' : 'provider_rejected', status, 'Provider rejected the request', {
      detail: context.upstreamMessage === undefined ? '1NCE rejected the request' : `1NCE rejected the request: ${context.upstreamMessage}`,
      extensions: extensionsOf(context),
      ...withCause(context),
    });
  }
}

/**
 * 501: 1NCE no longer offers the operation (a v1 path answered 410 Gone, a 404 where the path itself
 * is gone, or a 404 carrying a `Sunset` header). The client remembers it per account and answers
 * later calls with this error without calling 1NCE; `fallback` says what the platform does instead.
 */
export class ProviderOperationRetired extends AppError {
  constructor(
    context: ProviderErrorContext & { path: string; since?: string },
    readonly fallback?: string,
  ) {
    super('provider_operation_retired', 501, 'Provider operation retired', {
      detail:
        `1NCE no longer offers ${context.operation} (${context.path}); Management API v1 retires on 2026-12-31` +
        (fallback === undefined ? '' : `. ${fallback}`),
      extensions: {
        ...extensionsOf(context),
        path: context.path,
        ...(context.since !== undefined && { retired_since: context.since }),
        ...(fallback !== undefined && { fallback }),
      },
      ...withCause(context),
    });
  }
}

/** True for errors the client raises itself (as opposed to bugs). */
export function isProviderError(error: unknown): error is AppError {
  return (
    error instanceof ProviderAuthError ||
    error instanceof ProviderNotFound ||
    error instanceof SimExpired ||
    error instanceof ProviderRateLimited ||
    error instanceof ProviderUnavailable ||
    error instanceof ProviderTimeout ||
    error instanceof ProviderBadResponse ||
    error instanceof ProviderRejected ||
    error instanceof ProviderOperationRetired
  );
}

/**
 * True when a failed provider call may nevertheless have been carried out by 1NCE (a timeout or
 * lost answer on a non-idempotent request): such a request must not be repeated blindly.
 */
export function mayHaveBeenProcessed(error: unknown): boolean {
  return error instanceof AppError && error.extensions?.mayHaveBeenProcessed === true;
}
