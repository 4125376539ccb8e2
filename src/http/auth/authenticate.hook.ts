import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { Forbidden, Unauthorized, ValidationError } from '../../errors.js';
import type { Metrics } from '../../metrics.js';
import type { Identity } from '../../modules/users/identity.js';
import type { Principal } from '../../modules/users/principal.js';
import { roleSatisfies } from '../../modules/users/roles.js';
import { STREAMER_REALM } from '../openapi.js';
import type { Policy } from '../policy.js';
import './request-context.js';

const POLICIES: ReadonlySet<Policy> = new Set(['public', 'viewer', 'operator', 'admin', 'streamer']);

export interface AuthHookDeps {
  config: { streamer: Pick<Config['streamer'], 'username' | 'password'> };
  identity: Pick<Identity, 'auth' | 'apiKeys' | 'streamerThrottle'>;
  metrics: Pick<Metrics, 'auth'>;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time string comparison (hashing first equalises lengths). */
function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (Array.isArray(value)) throw new ValidationError(`Send the ${name} header once`, undefined, 'duplicate_credential_header');
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Resolves `Authorization: Bearer` or `X-API-Key`: either one is enough; both at once is ambiguous.
 * Exported for long-lived responses (the live stream) that re-check their credential.
 */
export async function authenticateUser(request: FastifyRequest, identity: AuthHookDeps['identity']): Promise<Principal> {
  const authorization = singleHeader(request, 'authorization');
  const apiKey = singleHeader(request, 'x-api-key');
  if (authorization !== undefined && apiKey !== undefined) {
    throw new ValidationError('Send either Authorization or X-API-Key, not both', undefined, 'ambiguous_credentials');
  }
  if (apiKey !== undefined) return identity.apiKeys.authenticate(apiKey.trim());
  if (authorization === undefined) throw new Unauthorized('Send Authorization: Bearer <access token> or X-API-Key: <key>');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (match === null) throw new Unauthorized('Only Bearer tokens are accepted in Authorization', 'unsupported_auth_scheme');
  return identity.auth.authenticateAccessToken(match[1]!);
}

/** The challenge of a failed Data Streamer login: HTTP Basic (RFC 7617), as the OpenAPI document declares. */
const STREAMER_CHALLENGE = `Basic realm="${STREAMER_REALM}", charset="UTF-8"`;

/** Whether the request carries the 1NCE Data Streamer's HTTP Basic credentials (constant time). */
function streamerCredentialsMatch(request: FastifyRequest, username: string, password: string): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(singleHeader(request, 'authorization') ?? '');
  if (match === null) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  const givenUser = separator < 0 ? decoded : decoded.slice(0, separator);
  const givenPassword = separator < 0 ? '' : decoded.slice(separator + 1);
  // Both comparisons always run, so timing does not tell which half was wrong.
  return [safeEqual(givenUser, username), safeEqual(givenPassword, password)].every(Boolean);
}

/**
 * The 1NCE Data Streamer's HTTP Basic credentials (STREAMER_USERNAME / STREAMER_PASSWORD). Failed
 * attempts are throttled per client IP before the credential is even compared (429 `streamer_throttled`).
 */
async function authenticateStreamer(request: FastifyRequest, deps: AuthHookDeps): Promise<Principal> {
  const { username, password } = deps.config.streamer;
  const fail = (detail: string) => {
    deps.metrics.auth.attempts.inc({ method: 'streamer', result: 'failure' });
    return new Unauthorized(detail, 'invalid_streamer_credentials', STREAMER_CHALLENGE);
  };
  if (username === undefined || password === undefined) throw fail('Data Streamer ingest is not configured on this server');
  const throttle = deps.identity.streamerThrottle;
  let failures: number;
  try {
    failures = await throttle.check(request.ip);
  } catch (error) {
    deps.metrics.auth.attempts.inc({ method: 'streamer', result: 'throttled' });
    throw error;
  }
  const hasBasic = /^Basic\s/i.test(singleHeader(request, 'authorization') ?? '');
  if (!streamerCredentialsMatch(request, username, password)) {
    await throttle.recordFailure(request.ip);
    throw fail(hasBasic ? 'The Data Streamer credentials are not valid' : 'Send the Data Streamer credentials as HTTP Basic');
  }
  // Only when there is something to clear: a healthy stream costs no write.
  if (failures > 0) await throttle.recordSuccess(request.ip);
  deps.metrics.auth.attempts.inc({ method: 'streamer', result: 'success' });
  return { kind: 'streamer', username };
}

/** Throws unless `principal` satisfies `policy`. */
export function enforcePolicy(policy: Exclude<Policy, 'public' | 'streamer'>, principal: Principal): void {
  if (principal.kind === 'streamer') throw new Forbidden('The Data Streamer credential only grants stream ingest');
  if (!roleSatisfies(principal.role, policy)) {
    throw new Forbidden(`This action requires the ${policy} role; the credential has ${principal.role}`, 'insufficient_role');
  }
}

/** One registered route and the policy it declared. */
export interface RoutePolicy {
  method: string;
  url: string;
  policy: Policy;
}

const routeTables = new WeakMap<FastifyInstance, RoutePolicy[]>();

/** Every route registered on `app` with its policy (for the policy test and diagnostics). */
export function routePolicies(app: FastifyInstance): readonly RoutePolicy[] {
  return routeTables.get(app) ?? [];
}

/**
 * Installs access control on the root instance:
 *  - every route must declare `config.policy` (the app refuses to start otherwise);
 *  - one onRequest hook resolves the caller and enforces the policy before anything else runs;
 *  - `afterAuth` (the per-caller rate limit) runs once the caller is known.
 */
export function installAuth(
  app: FastifyInstance,
  deps: AuthHookDeps,
  afterAuth?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>,
): void {
  app.decorateRequest('principal', undefined);
  app.decorateRequest('auditDetails', undefined);
  app.decorateRequest('auditErrorCode', undefined);

  const table: RoutePolicy[] = [];
  routeTables.set(app, table);
  app.addHook('onRoute', (route) => {
    const policy = route.config?.policy;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (policy === undefined) {
      throw new Error(`Route ${methods.join(',')} ${route.url} declares no config.policy (public | viewer | operator | admin | streamer)`);
    }
    if (!POLICIES.has(policy)) throw new Error(`Route ${methods.join(',')} ${route.url} has an unknown policy "${String(policy)}"`);
    for (const method of methods) table.push({ method, url: route.url, policy });
  });

  app.addHook('onRequest', async (request, reply) => {
    // Unmatched URLs (the 404 handler) carry no policy and reach no handler.
    const policy = request.routeOptions.config.policy;
    if (policy === undefined) return;
    if (policy === 'streamer') {
      request.principal = await authenticateStreamer(request, deps);
    } else if (policy !== 'public') {
      request.principal = await authenticateUser(request, deps.identity);
      enforcePolicy(policy, request.principal);
    }
    await afterAuth?.(request, reply);
  });
}
