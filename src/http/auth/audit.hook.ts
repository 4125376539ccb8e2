import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { AuditService } from '../../modules/audit/audit.service.js';
import type { AuditOutcome } from '../../db/schema.js';
import { auditContext } from './request-context.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const API_PREFIX = '/api/v1/';

function outcomeOf(statusCode: number): AuditOutcome {
  if (statusCode < 400) return 'success';
  if (statusCode === 401 || statusCode === 403 || statusCode === 429) return 'denied';
  return 'failure';
}

/** `/api/v1/sims/:iccid/topup` with `{ iccid }` -> `{ type: 'sims', id }`: a default target for routes that set none. */
function defaultTarget(url: string, params: unknown): { type: string; id: string } | undefined {
  const names = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  const first = names[0];
  if (first === undefined || typeof params !== 'object' || params === null) return undefined;
  const value = (params as Record<string, unknown>)[first];
  const type = url.slice(API_PREFIX.length).split('/')[0] ?? 'resource';
  return typeof value === 'string' || typeof value === 'number' ? { type, id: String(value) } : undefined;
}

/**
 * Records every mutating `/api/v1` request as its response is sent: success, failure or denial
 * (including requests refused before authentication). Routes enrich the entry with `describeAudit`.
 */
export function installAuditHook(app: FastifyInstance, audit: AuditService): void {
  app.addHook('onError', async (request, _reply, error) => {
    request.auditErrorCode = error instanceof AppError ? error.code : (error.code ?? 'error');
  });

  // onSend, not onResponse: the entry is written before the client sees the outcome, so a caller
  // that got a response can rely on the audit trail already containing it. Attached per route, and
  // only to mutating /api/v1 routes, so reads pay nothing for it.
  const onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const url = request.routeOptions.url!;
    const details = request.auditDetails ?? {};
    const context = auditContext(request);
    const errorCode = request.auditErrorCode;
    await audit.recordSafely({
      ...context,
      actor: details.actor ?? context.actor,
      action: details.action ?? `${request.method} ${url}`,
      target: details.target ?? defaultTarget(url, request.params),
      before: details.before,
      after: details.after,
      outcome: outcomeOf(reply.statusCode),
      statusCode: reply.statusCode,
      detail: errorCode === undefined ? details.detail : { ...details.detail, error_code: errorCode },
    });
    return payload;
  };

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!route.url.startsWith(API_PREFIX) || route.config?.audit === false || !methods.some((m) => MUTATING.has(m))) return;
    const existing = route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend];
    // A route serving several methods (none today) still audits only its mutating ones.
    const audited = methods.every((m) => MUTATING.has(m))
      ? onSend
      : async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => (MUTATING.has(request.method) ? onSend(request, reply, payload) : payload);
    route.onSend = [...existing, audited];
  });
}
