/**
 * Wire helpers shared by the simulator's routes: 1NCE's content types, empty write bodies,
 * paging headers and the three error body shapes (token, Spring-style v1, emnify-style v2).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { springDate } from './formats.js';

export const BASE_PATH = '/management-api';
/** 1NCE's gateway forwards to this backend prefix and leaks it in error bodies. */
const INTERNAL_PREFIX = '/internal-global-api';

/** Sends a JSON body the way 1NCE does (`application/json;charset=UTF-8`). */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type('application/json;charset=UTF-8').send(JSON.stringify(body));
}

/** Sends 1NCE's empty write answer: `application/json` with `Content-Length: 0`. */
export function sendEmpty(reply: FastifyReply, status: number): FastifyReply {
  return reply.code(status).type('application/json').send('');
}

/** Path as 1NCE's backend sees it, for Spring error bodies. */
export function internalPath(request: FastifyRequest): string {
  const path = request.url.split('?')[0] ?? request.url;
  return INTERNAL_PREFIX + (path.startsWith(BASE_PATH) ? path.slice(BASE_PATH.length) : path);
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
};

/** Spring-Boot error body used by the v1 backend: `{timestamp,status,error,message,path}`. */
export function sendSpringError(reply: FastifyReply, request: FastifyRequest, status: number, message: string, nowMs: number): FastifyReply {
  return sendJson(reply, status, {
    timestamp: springDate(nowMs),
    status,
    error: REASONS[status] ?? 'Error',
    message,
    path: internalPath(request),
  });
}

const V2_TOKENS: Record<number, string> = {
  400: 'BadRequest',
  404: 'NotFound',
  409: 'Conflict',
  422: 'UnprocessableEntity',
  500: 'InternalServerError',
};

/** v2 error body: `{error_code, error_token, message}`. */
export function sendV2Error(reply: FastifyReply, status: number, message: string): FastifyReply {
  return sendJson(reply, status, { error_code: 1000, error_token: V2_TOKENS[status] ?? 'BadRequest', message });
}

/** Token-endpoint error body: `{statusCode, errorCode, message}` (camelCase). */
export function sendTokenError(reply: FastifyReply, errorCode: string, message: string, status = 400): FastifyReply {
  return sendJson(reply, status, { statusCode: status, errorCode, message });
}

/** Page arithmetic and the four `X-*` headers of 1NCE list endpoints. */
export function pageOf(total: number, page: number, pageSize: number) {
  const totalPages = Math.max(1, Math.ceil(total / pageSize));
  const start = (page - 1) * pageSize;
  return {
    start,
    end: Math.min(total, start + pageSize),
    headers: {
      'X-Total-Count': String(total),
      'X-Total-Pages': String(totalPages),
      'X-Current-Page': String(page),
      'X-Count-Per-Page': String(pageSize),
    },
  };
}

/** Parses a positive integer query parameter; `undefined` when absent, `null` when invalid. */
export function intParam(value: unknown, max?: number): number | undefined | null {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return null;
  const n = Number(value);
  if (n < 1 || (max !== undefined && n > max)) return null;
  return n;
}

/** Query string as a flat record of strings (first value wins). */
export function queryOf(request: FastifyRequest): Record<string, string | undefined> {
  const q = request.query as Record<string, string | string[] | undefined>;
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(q)) out[k] = Array.isArray(v) ? v[0] : v;
  return out;
}

/** Absolute URL of this simulator (for Location headers), from the request's Host. */
export function selfBase(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${BASE_PATH}`;
}
