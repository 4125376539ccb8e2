import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { AppError, type FieldError } from '../errors.js';
import { PROBLEM_CONTENT_TYPE, problemType, type Problem } from './problem.js';
import { BODY_REQUIRED_KEYWORD } from './validation.js';

/**
 * The single place where errors become HTTP. Domain errors (AppError) carry their own code and
 * status; Fastify's own 4xx errors (bad JSON, wrong content type, oversized body, validation) are
 * mapped to stable codes; a database that cannot be reached is a 503 with `Retry-After` (the request
 * was fine); anything else is a 500 whose detail is hidden and whose cause is logged.
 */

/** Seconds a client should wait before retrying while the database is unreachable. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/** The longest path parameter the router matches; a longer one is a 414 (see frameworkErrors). */
export const MAX_PATH_PARAM_LENGTH = 200;

const FASTIFY_CODES: Record<string, { code: string; status: number; title: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', status: 415, title: 'Unsupported media type' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', status: 413, title: 'Payload too large' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_body', status: 400, title: 'Empty JSON body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', status: 400, title: 'Malformed JSON body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'invalid_content_length', status: 400, title: 'Invalid Content-Length' },
  FST_ERR_CTP_INVALID_TYPE: { code: 'unsupported_media_type', status: 415, title: 'Unsupported media type' },
  FST_ERR_CTP_EMPTY_TYPE: { code: 'unsupported_media_type', status: 415, title: 'Missing content type' },
  FST_ERR_BAD_URL: { code: 'bad_url', status: 400, title: 'Malformed URL' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'uri_too_long', status: 414, title: 'Path parameter too long' },
  FST_ERR_ASYNC_CONSTRAINT: { code: 'bad_request', status: 400, title: 'Bad request' },
};

function fieldErrors(error: FastifyError): FieldError[] {
  const context = error.validationContext ?? 'body';
  return (error.validation ?? []).map((item) => {
    const params = item.params;
    let field = `${context}${item.instancePath.replace(/\//g, '.')}`;
    if (typeof params.missingProperty === 'string') field += `.${params.missingProperty}`;
    if (typeof params.additionalProperty === 'string') {
      return { field: `${field}.${params.additionalProperty}`, message: 'is not an allowed property' };
    }
    return { field, message: item.message ?? 'is invalid' };
  });
}

/** Retry-After of a 503 whose error named none (a provider outage, a job engine not running here). */
const DEFAULT_503_RETRY_AFTER_SECONDS = 5;

/** Builds a problem document for an error; `internal` tells whether the cause should be logged as a bug. */
export function toProblem(error: unknown, request: FastifyRequest): { problem: Problem; headers: Record<string, string>; internal: boolean } {
  const base = { instance: request.url.split('?')[0] ?? request.url, request_id: request.id };

  if (error instanceof AppError) {
    return {
      problem: {
        ...error.extensions,
        type: problemType(error.code),
        title: error.title,
        status: error.status,
        ...(error.detail !== undefined && { detail: error.detail }),
        code: error.code,
        ...base,
        ...(error.errors !== undefined && { errors: error.errors }),
      },
      // Every 503 says when to come back (the OpenAPI document promises Retry-After on 503).
      headers: error.status === 503 && error.headers?.['retry-after'] === undefined ? { ...error.headers, 'retry-after': String(DEFAULT_503_RETRY_AFTER_SECONDS) } : (error.headers ?? {}),
      internal: error.status >= 500 && error.status !== 502 && error.status !== 503 && error.status !== 504,
    };
  }

  const fastifyError = error as FastifyError;
  if (fastifyError.validation !== undefined) {
    const errors = fieldErrors(fastifyError);
    const missingBody = fastifyError.validation.length === 1 && fastifyError.validation[0]?.keyword === BODY_REQUIRED_KEYWORD;
    const code = missingBody ? 'invalid_body' : 'validation_failed';
    return {
      problem: {
        type: problemType(code),
        title: missingBody ? 'Request body required' : 'Request validation failed',
        status: 400,
        detail: errors.map((e) => `${e.field} ${e.message}`).join('; '),
        code,
        ...base,
        errors,
      },
      headers: {},
      internal: false,
    };
  }

  const known = fastifyError.code !== undefined ? FASTIFY_CODES[fastifyError.code] : undefined;
  const status = known?.status ?? fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const code = known?.code ?? 'bad_request';
    return {
      problem: {
        type: problemType(code),
        title: known?.title ?? 'Bad request',
        status,
        // Fastify's 4xx messages describe the client's mistake and contain no internals.
        detail: fastifyError.message,
        code,
        ...base,
      },
      headers: {},
      internal: false,
    };
  }

  if (isDatabaseUnavailable(error)) {
    return {
      problem: {
        type: problemType('database_unavailable'),
        title: 'Service unavailable',
        status: 503,
        detail: 'The database cannot be reached right now; retry shortly.',
        code: 'database_unavailable',
        ...base,
      },
      headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
      internal: false,
    };
  }

  return {
    problem: {
      type: problemType('internal_error'),
      title: 'Internal server error',
      status: 500,
      detail: 'An unexpected error occurred; it has been logged with this request id.',
      code: 'internal_error',
      ...base,
    },
    headers: {},
    internal: true,
  };
}

/** Writes a problem response. */
export function sendProblem(reply: FastifyReply, problem: Problem, headers: Record<string, string> = {}): FastifyReply {
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** Installs the error and not-found handlers on the root instance. */
/**
 * Errors the router raises before any route or hook runs (malformed URL, over-long path parameter);
 * passed as Fastify's `frameworkErrors` so they are problem+json like every other error.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { problem, headers } = toProblem(error, request);
  void sendProblem(reply, problem, headers);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { problem, headers, internal } = toProblem(error, request);
    if (internal) {
      request.log.error({ err: error }, 'unhandled error');
    } else if (problem.status >= 500) {
      request.log.warn({ code: problem.code, detail: problem.detail }, 'upstream failure');
    } else {
      request.log.info({ code: problem.code, status: problem.status }, 'request rejected');
    }
    return sendProblem(reply, problem, headers);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      type: problemType('route_not_found'),
      title: 'Not found',
      status: 404,
      detail: `No route for ${request.method} ${request.url.split('?')[0] ?? ''}`,
      code: 'route_not_found',
      instance: request.url.split('?')[0] ?? request.url,
      request_id: request.id,
    }),
  );
}
