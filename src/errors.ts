/**
 * Typed, HTTP-free domain errors. Services throw these; `http/error-handler.ts` maps them to
 * RFC 9457 problem+json in one place. Each error has a stable machine `code` and an HTTP `status`.
 */

/** One field-level problem, reported in the problem document's `errors[]`. */
export interface FieldError {
  /** JSON pointer or dotted path of the offending field, e.g. `/body/iccid` or `query.page_size`. */
  field: string;
  message: string;
}

export interface AppErrorOptions {
  detail?: string;
  errors?: FieldError[];
  /** Extra members for the problem document (never secrets). */
  extensions?: Record<string, unknown>;
  /** Response headers to set (e.g. Retry-After). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** Base class of every error the platform raises on purpose. */
export class AppError extends Error {
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly extensions: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    options: AppErrorOptions = {},
  ) {
    super(options.detail ?? title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.detail = options.detail;
    this.errors = options.errors;
    this.extensions = options.extensions;
    this.headers = options.headers;
  }
}

/** 400: the request is malformed or fails validation. */
export class ValidationError extends AppError {
  constructor(detail: string, errors?: FieldError[], code = 'validation_failed') {
    super(code, 400, 'Request validation failed', errors === undefined ? { detail } : { detail, errors });
  }
}

/** 422: well-formed but semantically impossible (e.g. an ICCID whose Luhn digit is wrong). */
export class UnprocessableError extends AppError {
  constructor(detail: string, errors?: FieldError[], code = 'unprocessable') {
    super(code, 422, 'Unprocessable request', errors === undefined ? { detail } : { detail, errors });
  }
}

/** 415: a request body in a media type the route does not read (the API speaks JSON). */
export class UnsupportedMediaType extends AppError {
  constructor(contentType: string | undefined) {
    const shown = contentType === undefined ? 'a body without a content type' : `content type "${contentType.slice(0, 100)}"`;
    super('unsupported_media_type', 415, 'Unsupported media type', { detail: `Cannot read ${shown}; send application/json` });
  }
}

/** 401: no credential, or one that is not valid; `challenge` is the WWW-Authenticate value (RFC 9110). */
export class Unauthorized extends AppError {
  constructor(detail = 'Authentication is required', code = 'unauthorized', challenge = 'Bearer, ApiKey') {
    super(code, 401, 'Unauthorized', { detail, headers: { 'www-authenticate': challenge } });
  }
}

/** 403: the caller is known but lacks the role for this action. */
export class Forbidden extends AppError {
  constructor(detail = 'You do not have permission to perform this action', code = 'forbidden') {
    super(code, 403, 'Forbidden', { detail });
  }
}

/** 404: the named resource does not exist. */
export class NotFound extends AppError {
  constructor(resource: string, id?: string, code = 'not_found') {
    super(code, 404, 'Not found', {
      detail: id === undefined ? `${resource} not found` : `${resource} ${id} not found`,
      extensions: { resource },
    });
  }
}

/** 409: the request conflicts with current state (duplicate key, concurrent change). */
export class Conflict extends AppError {
  constructor(detail: string, code = 'conflict') {
    super(code, 409, 'Conflict', { detail });
  }
}

/** 429: too many requests; `retryAfterSeconds` becomes the Retry-After header. */
export class TooManyRequests extends AppError {
  constructor(retryAfterSeconds: number, detail = 'Too many requests', code = 'rate_limited') {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(code, 429, 'Too many requests', { detail, headers: { 'retry-after': String(seconds) } });
  }
}

/** 502: the upstream provider answered with something we cannot use or rejected the call. */
export class ProviderBadGateway extends AppError {
  constructor(detail: string, extensions?: Record<string, unknown>, code = 'provider_error', cause?: unknown) {
    super(code, 502, 'Provider error', { detail, ...(extensions && { extensions }), ...(cause !== undefined && { cause }) });
  }
}

/** 503: the provider (or a dependency) is unavailable right now; retry later. */
export class ServiceUnavailable extends AppError {
  constructor(detail: string, code = 'service_unavailable', retryAfterSeconds?: number, cause?: unknown) {
    super(code, 503, 'Service unavailable', {
      detail,
      ...(retryAfterSeconds !== undefined && { headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) } }),
      ...(cause !== undefined && { cause }),
    });
  }
}

/** 504: the provider did not answer in time. */
export class GatewayTimeout extends AppError {
  constructor(detail: string, code = 'provider_timeout', cause?: unknown) {
    super(code, 504, 'Provider timeout', { detail, ...(cause !== undefined && { cause }) });
  }
}
