import type { FastifyRequest } from 'fastify';
import type { JsonObject } from '../../db/schema.js';
import { Unauthorized } from '../../errors.js';
import { actorFromPrincipal, type AuditActor } from '../../modules/audit/audit.service.js';
import type { Principal } from '../../modules/users/principal.js';

/** What a route adds to the automatic audit entry of its request. */
export interface AuditDetails {
  action?: string;
  target?: { type: string; id: string };
  before?: JsonObject;
  after?: JsonObject;
  detail?: JsonObject;
  /** Overrides the request's principal (login: the user who just signed in). */
  actor?: AuditActor;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set by the auth hook on every non-public route. */
    principal: Principal | undefined;
    auditDetails: AuditDetails | undefined;
    /** Machine code of the error that ended the request, for the audit entry. */
    auditErrorCode: string | undefined;
  }
  interface FastifyContextConfig {
    /** `false` keeps a mutating route out of the automatic request audit (it must audit itself). */
    audit?: false;
  }
}

/** Adds before/after, target or a semantic action to this request's audit entry. */
export function describeAudit(request: FastifyRequest, details: AuditDetails): void {
  request.auditDetails = { ...request.auditDetails, ...details };
}

/** The authenticated user behind this request (a person or their API key); 401 otherwise. */
export function requireUser(request: FastifyRequest): Extract<Principal, { userId: number }> {
  const principal = request.principal;
  if (principal === undefined || principal.kind === 'streamer') throw new Unauthorized();
  return principal;
}

/**
 * Actor, IP, user agent and request id of a request, for `audit.record()` calls made by services
 * on the caller's behalf (e.g. a provider action): `audit.record({ ...auditContext(request), action, ... })`.
 */
export function auditContext(request: FastifyRequest): { actor: AuditActor; ip: string; userAgent: string | undefined; requestId: string } {
  return {
    actor: actorFromPrincipal(request.principal),
    ip: request.ip,
    userAgent: request.headers['user-agent'],
    requestId: request.id,
  };
}
