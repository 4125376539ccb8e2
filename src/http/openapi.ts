import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { RouteOptions } from 'fastify';
import type { Config } from '../config.js';
import { SimSchema } from '../modules/sims/sims.schemas.js';
import { VERSION } from '../version.js';
import type { Policy } from './policy.js';
import { PROBLEM_CONTENT_TYPE, ProblemRef } from './problem.js';

/**
 * The OpenAPI document as third-party tools read it (generators, gateways, linters). Route files
 * describe their own schemas; everything that must be the same on every operation is derived here,
 * in one place, from what the routes already declare:
 *  - `operationId` (camelCase, from method and path; explicit ids where the derived one reads badly),
 *  - `security` from the route's `config.policy` (public: none, streamer: HTTP Basic, else bearer or key);
 *    route files declare no `security` of their own (it would be overwritten here),
 *  - a description that says who may call it, and the responses every operation can produce (401, 403, 429),
 *  - error responses as `application/problem+json`, response descriptions by status code,
 *  - declared tags, servers, licence.
 * Redocly's `recommended` and Spectral's `spectral:oas` rulesets check the result (test/http/openapi-lint.test.ts).
 */

type Json = Record<string, unknown>;

const PROBLEM_MEDIA_TYPE = PROBLEM_CONTENT_TYPE.split(';')[0]!;
const PROBLEM_REF = '#/components/schemas/Problem';

/** Security requirements by route policy. */
const BEARER_OR_KEY = [{ bearerAuth: [] }, { apiKey: [] }];
const STREAMER_BASIC = [{ streamerBasic: [] }];

/** Realm of the Data Streamer's HTTP Basic challenge (RFC 7617). */
export const STREAMER_REALM = 'simfleet data streamer';

/** Every tag an operation may use, with what it groups. A tag used but not listed fails the lint test. */
export const TAGS: ReadonlyArray<{ name: string; description: string }> = [
  { name: 'health', description: 'Liveness and readiness probes for orchestrators and load balancers' },
  { name: 'system', description: 'Prometheus metrics and this API description' },
  { name: 'auth', description: 'Sign-in, token refresh, the current user, own password and API keys' },
  { name: 'users', description: 'User administration (admin only)' },
  { name: 'audit', description: 'The append-only audit log of every change, with CSV export' },
  { name: 'scheduler', description: 'Background jobs: schedules, recent runs, run now' },
  { name: 'alerts', description: 'Quota and connectivity alert rules, and the alerts they raise' },
  { name: 'webhooks', description: 'Outgoing webhook subscriptions (HMAC-signed) and their delivery log' },
  { name: 'streams', description: "Ingest of 1NCE's Data Streamer (usage and event records, HTTP Basic)" },
  { name: 'fleet', description: 'Fleet-wide aggregates for the dashboard: counts, usage this month, SIMs near quota or expiry, operators' },
  { name: 'sims', description: 'The SIM fleet: list, search, export, import, register, change through 1NCE, sync' },
  { name: 'usage', description: 'Daily data and SMS usage per SIM, with summaries' },
  { name: 'quotas', description: 'Data and SMS quotas per SIM, their history and exhaustion forecast' },
  { name: 'connectivity', description: 'Network attachment per SIM, its history, and connectivity resets' },
  { name: 'events', description: 'SIM events reported by 1NCE (attach, detach, location updates, ...)' },
  { name: 'sms', description: 'Mobile-terminated SMS to a SIM and received SMS' },
  { name: 'orders', description: '1NCE orders and top-ups, and the product catalogue' },
  { name: 'support', description: 'Support cases with 1NCE' },
  { name: 'accounts', description: '1NCE organisations (provider accounts) and their API credentials' },
  { name: 'bulk', description: 'Bulk actions over many SIMs, with progress, per-SIM results and cancellation' },
  { name: 'intelligence', description: 'Fleet intelligence: SIM diagnosis, fleet forecast of exhaustions and expiries, monthly reports (anomaly alerts are alert rules)' },
];

/** Explicit ids where the derivation from the path reads badly (key: `METHOD /path` as documented). */
const OPERATION_IDS: Readonly<Record<string, string>> = {
  'GET /health/live': 'getLiveness',
  'GET /health/ready': 'getReadiness',
  'GET /api/v1/metrics': 'getApiMetrics',
  'GET /openapi.json': 'getOpenApiDocument',
  'POST /api/v1/auth/login': 'login',
  'POST /api/v1/auth/refresh': 'refreshTokens',
  'POST /api/v1/auth/logout': 'logout',
  'POST /api/v1/auth/register': 'registerUser',
  'GET /api/v1/auth/me': 'getCurrentUser',
  'POST /api/v1/auth/password': 'changeOwnPassword',
  'POST /api/v1/auth/api-keys': 'createApiKey',
  'GET /api/v1/auth/api-keys': 'listApiKeys',
  'DELETE /api/v1/auth/api-keys/{id}': 'revokeApiKey',
  'POST /api/v1/users/{id}/reset-password': 'resetUserPassword',
  'GET /api/v1/audit': 'listAuditEntries',
  'POST /api/v1/scheduler/jobs/{name}/run': 'runSchedulerJob',
  'POST /api/v1/streams/1nce': 'ingestDataStreamerBatch',
  'POST /api/v1/sims': 'registerSim',
  'POST /api/v1/sims/{iccid}/sms': 'sendSimSms',
  'DELETE /api/v1/sims/{iccid}/sms/{id}': 'cancelSimSms',
  'POST /api/v1/sims/{iccid}/topup': 'topUpSim',
  'GET /api/v1/bulk-jobs/{id}/results.csv': 'exportBulkJobResults',
};

/** A last path segment that names an action rather than a resource (`POST /sims/{iccid}/sync`). */
const ACTION_SEGMENTS = new Set([
  'sync', 'sync-all', 'reset', 'test', 'cancel', 'acknowledge', 'resolve', 'deactivate', 'reactivate', 'run',
  'import', 'export',
]);

const METHOD_VERBS: Readonly<Record<string, string>> = { GET: 'get', PATCH: 'update', PUT: 'replace', DELETE: 'delete', POST: 'create' };

const camel = (segment: string): string =>
  segment.replace(/[^A-Za-z0-9]+(.)?/g, (_match, next: string | undefined) => (next ?? '').toUpperCase());
const pascal = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

/** Plural collection name -> one member (`bulkJobs` -> `bulkJob`); words that are not plurals stay. */
function singular(word: string): string {
  if (/ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ss|us|sms|Sms)$/.test(word)) return word;
  return word.endsWith('s') ? word.slice(0, -1) : word;
}

/** True when a response schema is a list (an array, or a page with `items`). */
function isList(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  const s = schema as Json;
  return s.type === 'array' || (typeof s.properties === 'object' && s.properties !== null && 'items' in s.properties);
}

/** The documented path of a route URL (`/api/v1/sims/:iccid/` -> `/api/v1/sims/{iccid}`). */
export function documentedPath(url: string): string {
  const path = url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/**
 * The operationId of a route: an explicit id when the route or OPERATION_IDS gives one, otherwise
 * verb + nouns from the path (`GET /sims` listSims, `GET /sims/{iccid}` getSim, `POST /sims/{iccid}/sync`
 * syncSim, `POST /orders` createOrder). Deterministic: the same route always gets the same id.
 */
export function operationIdFor(method: string, url: string, okSchema?: unknown): string {
  const path = documentedPath(url);
  const explicit = OPERATION_IDS[`${method} ${path}`];
  if (explicit !== undefined) return explicit;
  const segments = path.replace(/^\/api\/v1(?=\/|$)/, '').split('/').filter((s) => s !== '');
  const nouns: string[] = [];
  segments.forEach((segment, i) => {
    if (segment.startsWith('{')) return;
    const word = camel(segment);
    nouns.push(segments[i + 1]?.startsWith('{') === true ? singular(word) : word);
  });
  const last = segments[segments.length - 1] ?? '';
  let verb = METHOD_VERBS[method] ?? method.toLowerCase();
  if (!last.startsWith('{') && ACTION_SEGMENTS.has(last)) {
    verb = camel(last);
    nouns.pop();
  } else if (!last.startsWith('{') && method === 'GET' && isList(okSchema)) {
    verb = 'list';
  } else if (!last.startsWith('{') && method === 'POST' && nouns.length > 0) {
    nouns.push(singular(nouns.pop()!));
  }
  return verb + nouns.map(pascal).join('');
}

/** Who may call an operation, said in its description (the same sentence everywhere). */
function accessSentence(policy: Policy | undefined): string {
  switch (policy) {
    case 'public':
    case undefined:
      return 'Public: no credential is needed.';
    case 'streamer':
      return 'Authentication: HTTP Basic with the Data Streamer credentials (`STREAMER_USERNAME` / `STREAMER_PASSWORD`).';
    case 'viewer':
    case 'operator':
    case 'admin':
      return `Authentication: \`Authorization: Bearer <access token>\` or \`X-API-Key\`, with the \`${policy}\` role or higher.`;
  }
}

function securityFor(policy: Policy | undefined): Json[] {
  if (policy === 'public' || policy === undefined) return [];
  return policy === 'streamer' ? STREAMER_BASIC : BEARER_OR_KEY;
}

/** Per-route part: operationId, security, description, and the responses implied by policy and prefix. */
function transformRoute({ schema, url, route }: { schema: unknown; url: string; route: RouteOptions }): { schema: Json; url: string } {
  const source = (schema ?? {}) as Json;
  if (source.hide === true) return { schema: source, url };
  const method = (Array.isArray(route.method) ? route.method[0] : route.method) as string;
  const policy = route.config?.policy;
  const responses = { ...((source.response as Json | undefined) ?? {}) };
  const problem = ProblemRef;
  if (policy !== 'public' && policy !== undefined && responses[401] === undefined) responses[401] = problem;
  if (policy !== 'public' && policy !== 'streamer' && policy !== undefined && responses[403] === undefined) responses[403] = problem;
  // Any call to 1NCE may meet an operation 1NCE has retired (v1 after 2026-12-31).
  if (responses[502] !== undefined && responses[501] === undefined) responses[501] = problem;
  // The per-caller rate limit covers every /api/v1 route (src/http/auth/rate-limit.ts).
  if (url.startsWith('/api/v1/') && responses[429] === undefined) responses[429] = problem;
  const summary = typeof source.summary === 'string' ? source.summary : undefined;
  const described = typeof source.description === 'string' ? source.description : summary !== undefined ? `${summary}.` : '';
  return {
    url,
    schema: {
      ...source,
      operationId: typeof source.operationId === 'string' ? source.operationId : operationIdFor(method, url, responses[200]),
      security: securityFor(policy),
      description: `${described}\n\n${accessSentence(policy)}`.trim(),
      ...(Object.keys(responses).length > 0 && { response: responses }),
    },
  };
}

/** What each status means on this API, for responses that say nothing more specific. */
const STATUS_DESCRIPTIONS: Readonly<Record<string, string>> = {
  200: 'Success',
  201: 'Created',
  202: 'Accepted: the work is queued and runs in the background',
  204: 'Done; no content',
  400: 'The request is malformed, fails validation or carries more than one credential (`validation_failed`, `invalid_json`, `ambiguous_credentials`, ...); nothing was changed',
  401: 'No credential, or one that is not valid (`unauthorized`, `invalid_token`, ...)',
  403: 'The credential is valid but lacks the role for this action (`insufficient_role`)',
  404: 'The resource does not exist (`not_found`)',
  409: 'The request conflicts with the current state (`conflict` and more specific codes)',
  413: 'The request body is too large (`payload_too_large`)',
  414: 'A path parameter is longer than the server reads (`uri_too_long`)',
  415: 'The request body has a content type this operation does not accept (`unsupported_media_type`)',
  422: 'Well-formed but impossible, e.g. an identifier whose check digit is wrong (`unprocessable`)',
  429: 'Too many requests; retry after the `Retry-After` seconds (`rate_limited`)',
  500: 'Unexpected error; logged with the request id (`internal_error`)',
  501: '1NCE no longer offers an operation this needs (Management API v1 retired); `provider_operation_retired`',
  502: '1NCE rejected the call or answered something unusable (`provider_error`)',
  503: '1NCE or a dependency is unavailable right now; retry later (`service_unavailable`, `provider_unavailable`)',
  504: '1NCE did not answer in time (`provider_timeout`)',
};

const GENERIC_DESCRIPTIONS = new Set(['Default Response', 'RFC 9457 problem details']);

const RETRY_AFTER_HEADER = {
  description: 'Seconds to wait before retrying',
  schema: { type: 'integer', minimum: 1 },
};

function isProblemMedia(media: unknown): boolean {
  return typeof media === 'object' && media !== null && (media as { schema?: Json }).schema?.$ref === PROBLEM_REF;
}

/** Problem responses as application/problem+json, descriptions by status, the headers they carry. */
function normaliseResponse(status: string, response: Json, operation: Json): void {
  const content = response.content as Record<string, unknown> | undefined;
  const isError = /^[45]/.test(status);
  if (content !== undefined && isError && Object.values(content).some(isProblemMedia)) {
    response.content = { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: PROBLEM_REF } } };
  }
  if (typeof response.description !== 'string' || GENERIC_DESCRIPTIONS.has(response.description)) {
    response.description = STATUS_DESCRIPTIONS[status] ?? `HTTP ${status}`;
  }
  const headers = (response.headers as Json | undefined) ?? {};
  if (status === '401') {
    const basic = JSON.stringify(operation.security) === JSON.stringify(STREAMER_BASIC);
    headers['WWW-Authenticate'] = {
      description: basic ? `\`Basic realm="${STREAMER_REALM}"\`` : 'The accepted schemes: `Bearer, ApiKey`',
      schema: { type: 'string' },
    };
  }
  if (status === '429' || status === '503') headers['Retry-After'] = RETRY_AFTER_HEADER;
  if (Object.keys(headers).length > 0) response.headers = headers;
}

/**
 * Streamed NDJSON bodies: OpenAPI 3.1 has no per-line schema (3.2 adds `itemSchema`), so the body is
 * a string and the schema of each line rides along as `x-item-schema` (the name 3.2 gives it).
 */
const NDJSON_LINES: Readonly<Record<string, { schema: unknown; description: string }>> = {
  'get /api/v1/sims/export': { schema: SimSchema, description: 'One SIM per line, the same object as GET /api/v1/sims items' },
};
const NDJSON_MEDIA_TYPE = 'application/x-ndjson';

function documentNdjson(document: Json & { paths?: Record<string, Record<string, Json>> }): void {
  for (const [key, line] of Object.entries(NDJSON_LINES)) {
    const [method, path] = key.split(' ') as [string, string];
    const content = ((document.paths?.[path]?.[method]?.responses as Record<string, Json> | undefined)?.[200]?.content ?? {}) as Json;
    if (content[NDJSON_MEDIA_TYPE] === undefined) continue;
    content[NDJSON_MEDIA_TYPE] = {
      schema: {
        type: 'string',
        description: `Newline-delimited JSON (UTF-8), each line ending in \\n. ${line.description}; its schema is \`x-item-schema\`.`,
      },
      // A plain JSON copy: TypeBox schemas carry symbol keys that are not part of the document.
      'x-item-schema': JSON.parse(JSON.stringify(line.schema)) as Json,
    };
  }
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * Answers the server gives before any route runs, whatever the operation declares: a malformed
 * request or ambiguous credentials (400), an over-long path parameter (414), a body in a content type
 * the API does not read on a method that takes one (415), an ICCID whose check digit is wrong (422,
 * the one ICCID parser). Documented on every operation they can
 * come from, so clients (and the route fuzzer) find every status they can meet in the document.
 */
function addFrameworkResponses(path: string, method: string, responses: Record<string, Json>): void {
  const problem = (status: string): Json => ({ description: STATUS_DESCRIPTIONS[status] ?? `HTTP ${status}`, content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: PROBLEM_REF } } } });
  if (!path.startsWith('/api/')) return;
  responses['400'] ??= problem('400');
  if (path.includes('{')) responses['414'] ??= problem('414');
  if (method !== 'get' && method !== 'head') responses['415'] ??= problem('415');
  // Every {iccid} goes through one parser: 422 `invalid_iccid` for a failed Luhn digit (docs/errors.md).
  if (path.includes('{iccid}')) responses['422'] ??= problem('422');
}

/** Whole-document part: responses, declared tags, components only this module knows. */
function transformDocument({ openapiObject }: { openapiObject: Partial<Json> }): Json {
  const document = openapiObject as Json & { paths?: Record<string, Record<string, Json>> };
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      const responses = (operation.responses ?? {}) as Record<string, Json>;
      addFrameworkResponses(path, method, responses);
      operation.responses = responses;
      for (const [status, response] of Object.entries(responses)) normaliseResponse(status, response, operation);
    }
  }
  documentNdjson(document);
  return document;
}

/**
 * The servers entry: PUBLIC_URL when the operator set it. Otherwise the address is not known to the
 * code (self-hosted, behind any proxy), so it is a template whose default is the local port.
 */
function serversFor(config: Pick<Config, 'port' | 'publicUrl'>): Json[] {
  if (config.publicUrl !== undefined) return [{ url: config.publicUrl, description: 'This installation (PUBLIC_URL)' }];
  return [
    {
      url: '{scheme}://{host}',
      description: 'This installation; set PUBLIC_URL to publish the address clients use',
      variables: {
        scheme: { enum: ['https', 'http'], default: 'http' },
        host: { default: `localhost:${config.port}`, description: 'Host name and port where the platform is reachable' },
      },
    },
  ];
}

/** The @fastify/swagger options: document metadata plus the central per-route and whole-document transforms. */
export function openapiOptions(config: Pick<Config, 'port' | 'publicUrl'>): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'SIM fleet platform API',
        version: VERSION,
        description:
          'Self-hosted control plane for IoT SIM fleets on 1NCE. Authenticate with `Authorization: Bearer <access token>` ' +
          'or `X-API-Key: <key>`; either one is enough. Errors are RFC 9457 problem documents ' +
          '(`application/problem+json`) with a stable `code`.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: serversFor(config) as never,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'Access token from `POST /api/v1/auth/login` or `/auth/refresh`',
          },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'API key from `POST /api/v1/auth/api-keys`' },
          streamerBasic: {
            type: 'http',
            scheme: 'basic',
            description: "The 1NCE Data Streamer's credentials (`STREAMER_USERNAME` / `STREAMER_PASSWORD`); only for stream ingest",
          },
        },
      },
      tags: [...TAGS],
    },
    transform: transformRoute,
    transformObject: transformDocument as unknown as NonNullable<FastifyDynamicSwaggerOptions['transformObject']>,
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  };
}

/** The document for the interactive docs when no PUBLIC_URL is set: no servers, so Swagger UI calls its own origin. */
export function withoutServers(document: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { servers: _servers, ...rest } = document;
  return rest;
}
