import type { ClientConfig } from '../config.js';
import { credentialHeaders } from '../mcp/bridge.js';
import { SERVICE_NAME, VERSION } from '../version.js';
import { CliError, EXIT, exitCodeOf } from './exit-codes.js';

/** Time allowed for one ordinary API call; exports stream without a bound. */
const REQUEST_TIMEOUT_MS = 60_000;
/** Attempts of an idempotent GET answered with 429 before giving up (Retry-After honoured, capped). */
const RATE_LIMIT_ATTEMPTS = 5;

/** A problem document as the API answers failures (RFC 9457). */
interface Problem {
  title?: string;
  detail?: string;
  code?: string;
  errors?: Array<{ field?: string; message?: string; row?: number }>;
}

/** `detail (code)` plus one line per field error: what a person at a terminal needs to fix the call. */
async function describeFailure(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  let problem: Problem | undefined;
  try {
    problem = JSON.parse(text) as Problem;
  } catch {
    problem = undefined;
  }
  if (problem === undefined || typeof problem !== 'object') return `HTTP ${response.status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`;
  const head = `${problem.detail ?? problem.title ?? `HTTP ${response.status}`}${problem.code === undefined ? '' : ` (${problem.code})`}`;
  const fields = (problem.errors ?? []).slice(0, 20).map((e) => `  - ${e.row === undefined ? '' : `row ${e.row}: `}${e.field ?? ''} ${e.message ?? ''}`.trimEnd());
  return [head, ...fields].join('\n');
}

export interface ApiClient {
  /** JSON request; throws a CliError with the exit code of a failure status. */
  json<T>(method: string, path: string, options?: { query?: URLSearchParams; body?: unknown; text?: string; headers?: Record<string, string> }): Promise<T>;
  /** A streamed GET (exports): the response body, after a successful status. */
  stream(path: string, query: URLSearchParams): Promise<ReadableStream<Uint8Array>>;
}

/** The REST API of a running platform at SIMFLEET_URL, with SIMFLEET_API_KEY (or SIMFLEET_TOKEN). */
export function createApiClient(config: ClientConfig, fetchImpl: typeof fetch = fetch): ApiClient {
  if (config.apiKey === undefined && config.token === undefined) {
    throw new CliError(EXIT.auth, 'Set SIMFLEET_API_KEY (an API key of the platform; create one in the console or with POST /api/v1/auth/api-keys)');
  }
  const headers = { ...credentialHeaders(config), 'user-agent': `${SERVICE_NAME}-cli/${VERSION}` };

  async function send(method: string, path: string, query: URLSearchParams | undefined, init: { body?: string; headers?: Record<string, string> }, timeout: boolean): Promise<Response> {
    const url = new URL(`/api/v1${path}`, config.url);
    if (query !== undefined) url.search = query.toString();
    for (let attempt = 1; ; attempt += 1) {
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method,
          headers: { accept: 'application/json', ...headers, ...init.headers },
          ...(init.body !== undefined && { body: init.body }),
          ...(timeout && { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
        });
      } catch (error) {
        const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
        throw new CliError(EXIT.server, `cannot reach the platform at ${config.url.origin}: ${reason}`);
      }
      // Reads are safe to repeat after the per-caller rate limit; actions are never retried.
      if (response.status === 429 && method === 'GET' && attempt < RATE_LIMIT_ATTEMPTS) {
        const seconds = Math.min(Number(response.headers.get('retry-after') ?? '1') || 1, 10);
        await response.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        continue;
      }
      if (!response.ok) throw new CliError(exitCodeOf(response.status), await describeFailure(response));
      return response;
    }
  }

  return {
    async json<T>(method: string, path: string, options: { query?: URLSearchParams; body?: unknown; text?: string; headers?: Record<string, string> } = {}) {
      const body = options.text ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
      const contentType = options.text !== undefined ? { 'content-type': 'text/csv' } : body !== undefined ? { 'content-type': 'application/json' } : {};
      const response = await send(method, path, options.query, { ...(body !== undefined && { body }), headers: { ...contentType, ...options.headers } }, true);
      return (await response.json()) as T;
    },
    async stream(path: string, query: URLSearchParams) {
      const response = await send('GET', path, query, {}, false);
      if (response.body === null) throw new CliError(EXIT.server, 'the platform sent an empty export');
      return response.body;
    },
  };
}
