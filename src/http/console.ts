import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { MAX_PATH_PARAM_LENGTH } from './error-handler.js';

/**
 * The web console: a Vite-built SPA in dist/web (index.html + assets/), served by this server.
 * Hashed assets are immutable; index.html is never cached; any GET that accepts HTML on a path the
 * console owns gets index.html (client-side routing). API, health, metrics, docs, OpenAPI and MCP
 * paths are never answered with HTML: they keep their JSON 404 problem.
 */

/** Paths that belong to the server, never to the console. */
const SERVER_PREFIXES = ['/api', '/health', '/metrics', '/docs', '/openapi.json', '/mcp'];
/** Files Vite copies from public/ to the root of dist/web (favicon, manifest, robots). */
const ROOT_FILE = /^\/[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.(?:svg|ico|png|webp|txt|webmanifest|json|xml)$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Strict policy for the SPA: scripts, styles and API calls from this origin only; no inline script.
 * The one inline <style> allowed is one carrying this response's nonce: the modal dialogs' scroll lock
 * (react-remove-scroll, under Radix Dialog) injects a <style> element, and the console hands it the
 * nonce from `<meta name="csp-nonce">` (get-nonce). Style attributes stay forbidden.
 */
export function consoleCsp(nonce?: string): string {
  return [
  "default-src 'self'",
  "script-src 'self'",
  nonce === undefined ? "style-src 'self'" : `style-src 'self' 'nonce-${nonce}'`,
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  ].join('; ');
}

/** The policy of a page without a nonce (the "not built" page). */
export const CONSOLE_CSP = consoleCsp();

const NOT_BUILT_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>simfleet</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>simfleet</h1><p>The web console is not built. Run <code>npm run build</code> (or <code>npm start</code>, which builds) and reload.</p>
<p>The API is running: see <a href="/docs">/docs</a>.</p></main></body></html>
`;

/** dist/web next to this installation: from src/http (tsx) or dist/src/http (built). */
export function defaultConsoleDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../../../dist/web'), path.resolve(here, '../../dist/web')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? candidates[0]!;
}

const isServerPath = (pathname: string) => SERVER_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`) || pathname.startsWith(`${p}?`));
const acceptsHtml = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/html');

/** Registers the console routes (public: the app handles sign-in itself). */
export async function registerConsole(app: FastifyInstance, dir: string): Promise<void> {
  const built = existsSync(path.join(dir, 'index.html'));
  if (built) await app.register(fastifyStatic, { root: dir, serve: false, decorateReply: true, index: false });

  const html = (reply: FastifyReply, nonce?: string) => reply.header('content-security-policy', consoleCsp(nonce)).header('cache-control', 'no-cache');
  const indexFile = path.join(dir, 'index.html');

  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    if (isServerPath(pathname)) {
      // The router gives up on an over-long parameter and falls through to this catch-all route;
      // answer what it would have answered without the console (414), not a misleading 404.
      if (pathname.split('/').some((segment) => segment.length > MAX_PATH_PARAM_LENGTH)) {
        throw new AppError('uri_too_long', 414, 'Path parameter too long', { detail: `A path segment is longer than ${MAX_PATH_PARAM_LENGTH} characters` });
      }
      return reply.callNotFound();
    }
    if (built && ROOT_FILE.test(pathname) && existsSync(path.join(dir, pathname))) {
      return reply.header('cache-control', 'public, max-age=3600').sendFile(pathname.slice(1));
    }
    // Deep links are pages only for browsers (an API client's typo stays a 404 problem); the root is
    // always the console, whatever the client accepts (`curl http://host/` shows the page).
    if (pathname !== '/' && !acceptsHtml(request)) return reply.callNotFound();
    if (!built) return html(reply).type('text/html; charset=utf-8').send(NOT_BUILT_HTML);
    // A fresh nonce per response, announced to the app in a meta element (see consoleCsp).
    const nonce = randomBytes(16).toString('base64');
    const index = (await readFile(indexFile, 'utf8')).replace('<head>', `<head><meta name="csp-nonce" content="${nonce}">`);
    return html(reply, nonce).type('text/html; charset=utf-8').send(index);
  };

  const hide = { hide: true } as const;
  app.get('/', { config: { policy: 'public' }, schema: hide }, page);
  app.get('/*', { config: { policy: 'public' }, schema: hide }, page);
  if (built) {
    const assets = path.join(dir, 'assets');
    app.get('/assets/*', { config: { policy: 'public' }, schema: hide }, (request, reply) => {
      const file = path.resolve(assets, (request.params as { '*': string })['*']);
      // Missing (or outside assets/) is the ordinary 404 problem, never cached.
      if (!file.startsWith(`${assets}${path.sep}`) || !existsSync(file)) return reply.callNotFound();
      // Vite puts a content hash in every asset name: a changed file is a new URL.
      return reply.header('cache-control', IMMUTABLE).sendFile(path.relative(dir, file), { cacheControl: false });
    });
  }
}
