/**
 * A scripted stand-in for 1NCE over `fetch`, for unit tests of the transport and the token
 * manager: each route answers from a queue of scripted responses (the last one repeats), and
 * every call is recorded so tests can count attempts.
 */
import { Registry } from 'prom-client';
import { createProviderMetrics, type ProviderMetrics } from '../../src/metrics/provider.js';

export type Scripted =
  | { status: number; body?: string | object; headers?: Record<string, string> }
  | { throws: Error }
  | { hang: true };

export interface RecordedCall {
  method: string;
  path: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface FakeFetch {
  fetch: typeof fetch;
  calls: RecordedCall[];
  script(route: string, ...responses: Scripted[]): void;
  count(route: string): number;
}

/** `route` is `METHOD /path` without query, relative to the base URL's path. */
export function createFakeFetch(basePath = '/management-api'): FakeFetch {
  const scripts = new Map<string, Scripted[]>();
  const calls: RecordedCall[] = [];
  let tokenCounter = 0;

  const impl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = init?.method ?? 'GET';
    const path = url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) : url.pathname;
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    calls.push({ method, path, url: url.href, headers, body: typeof init?.body === 'string' ? init.body : undefined });
    const route = `${method} ${path}`;
    const queue = scripts.get(route);
    let next: Scripted | undefined = queue === undefined ? undefined : queue.length > 1 ? queue.shift() : queue[0];
    if (next === undefined && route === 'POST /oauth/token') {
      tokenCounter++;
      next = { status: 200, body: { status_code: 200, access_token: `token-${tokenCounter}`, token_type: 'bearer', expires_in: 3600, userId: 'user', scope: 'all' } };
    }
    if (next === undefined) return new Response(`no script for ${route}`, { status: 599 });
    if ('throws' in next) throw next.throws;
    if ('hang' in next) {
      const signal = init?.signal;
      return new Promise((_, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      });
    }
    const body = next.body === undefined ? '' : typeof next.body === 'string' ? next.body : JSON.stringify(next.body);
    const contentType = typeof next.body === 'object' ? 'application/json;charset=UTF-8' : 'application/json';
    return new Response(body, { status: next.status, headers: { 'content-type': contentType, ...next.headers } });
  };

  return {
    fetch: impl,
    calls,
    script(route, ...responses) {
      scripts.set(route, responses);
    },
    count(route) {
      return calls.filter((c) => `${c.method} ${c.path}` === route).length;
    },
  };
}

/** A network error as undici reports it (`TypeError: fetch failed` with a coded cause). */
export function networkError(code: string): Error {
  const cause = Object.assign(new Error(`connect ${code}`), { code });
  return new TypeError('fetch failed', { cause });
}

/** Fresh metrics on their own registry, plus a reader for one counter value. */
export function testMetrics(): { metrics: ProviderMetrics; registry: Registry; value: (name: string, labels: Record<string, string>) => Promise<number> } {
  const registry = new Registry();
  const metrics = createProviderMetrics(registry);
  return {
    metrics,
    registry,
    value: async (name, labels) => {
      const metric = registry.getSingleMetric(name);
      if (metric === undefined) return 0;
      const data = await metric.get();
      const match = data.values.find((v) => Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val));
      return match?.value ?? 0;
    },
  };
}
