import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden } from '../../errors.js';

/**
 * The browser console's refresh token lives in an HttpOnly cookie (docs/adr/0013): scripts cannot
 * read it, SameSite=Strict keeps other sites from sending it, and its path limits it to the auth
 * routes. A request opts in with `X-Session-Cookie: 1`; the same header is required whenever the
 * cookie is used (refresh, logout), a custom header no cross-site form or image can send (CSRF).
 */
export const SESSION_COOKIE = 'simfleet_refresh';
export const SESSION_HEADER = 'x-session-cookie';
const COOKIE_PATH = '/api/v1/auth';
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,512}$/;

/** True when the request asks for (or uses) the cookie session. */
export function wantsSessionCookie(request: FastifyRequest): boolean {
  return request.headers[SESSION_HEADER] === '1';
}

/** The refresh token from the session cookie, if any (malformed values are ignored). */
export function sessionCookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) {
      const value = rest.join('=');
      return TOKEN_PATTERN.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** Cookie-authenticated calls must carry the custom header (CSRF defence besides SameSite=Strict). */
export function requireSessionHeader(request: FastifyRequest): void {
  if (!wantsSessionCookie(request)) {
    throw new Forbidden(`Send ${SESSION_HEADER}: 1 with requests authenticated by the session cookie`, 'session_header_required');
  }
}

function attributes(request: FastifyRequest, maxAgeSeconds: number): string {
  // Secure whenever the client reached us over TLS (directly, or through a proxy trusted by TRUST_PROXY).
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `Path=${COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

/** Sets the session cookie to `refreshToken`. */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, refreshToken: string, maxAgeSeconds: number): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=${refreshToken}; ${attributes(request, maxAgeSeconds)}`);
}

/** Expires the session cookie. */
export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=; ${attributes(request, 0)}`);
}
