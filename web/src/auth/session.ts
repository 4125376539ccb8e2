import { errorFromResponse } from '../api/problem';

/**
 * The browser session. The access token lives in this module's memory only; the refresh token is
 * an HttpOnly, SameSite=Strict cookie scoped to /api/v1/auth that the server sets when a request
 * carries `X-Session-Cookie: 1` (ADR 0014). A page reload restores the session by calling refresh.
 */

export type Role = 'viewer' | 'operator' | 'admin';

export interface SessionUser {
  id: number;
  username: string;
  email: string | null;
  role: Role;
}

export interface Session {
  user: SessionUser;
  role: Role;
}

interface TokenAnswer {
  access_token: string;
  expires_in: number;
}

/**
 * A hint (never a credential) that this browser signed in before, so a fresh visitor's first page
 * does not ask for a refresh it cannot have (that 401 would be a console error on the sign-in page).
 */
const HINT = 'simfleet.session';

function hint(on: boolean): void {
  try {
    if (on) localStorage.setItem(HINT, '1');
    else localStorage.removeItem(HINT);
  } catch {
    // storage disabled: every load tries the refresh
  }
}

function hinted(): boolean {
  try {
    return localStorage.getItem(HINT) !== null;
  } catch {
    return true;
  }
}

/** On page load: restores the session from the refresh cookie when this browser had one. */
export async function restoreSession(): Promise<boolean> {
  return hinted() ? refreshSession() : false;
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** True when `role` is at least `needed` (admin > operator > viewer). */
export function atLeast(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[needed];
}

let accessToken: string | null = null;
let session: Session | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<boolean> | null = null;
const listeners = new Set<() => void>();

function emit(): void {
  for (const listener of listeners) listener();
}

/** Subscribes to session changes (sign-in, sign-out, expiry); returns the unsubscribe function. */
export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function currentSession(): Session | null {
  return session;
}

export function currentAccessToken(): string | null {
  return accessToken;
}

function clear(): void {
  hint(false);
  accessToken = null;
  session = null;
  if (refreshTimer !== undefined) clearTimeout(refreshTimer);
  refreshTimer = undefined;
}

function schedule(expiresIn: number): void {
  if (refreshTimer !== undefined) clearTimeout(refreshTimer);
  // Refresh a minute before expiry (at least 10 s from now) so a request never carries a dead token.
  const ms = Math.max(10, expiresIn - 60) * 1000;
  refreshTimer = setTimeout(() => void refreshSession(), ms);
}

async function loadMe(token: string): Promise<Session> {
  const response = await fetch('/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw await errorFromResponse(response);
  const me = (await response.json()) as { user: SessionUser; auth: { effective_role: Role } };
  return { user: me.user, role: me.auth.effective_role };
}

async function adopt(answer: TokenAnswer): Promise<void> {
  const next = await loadMe(answer.access_token);
  accessToken = answer.access_token;
  session = next;
  hint(true);
  schedule(answer.expires_in);
  emit();
}

/** Signs in with a username (or e-mail) and password; throws an ApiError the form can show. */
export async function signIn(username: string, password: string): Promise<void> {
  const response = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-session-cookie': '1' },
    credentials: 'same-origin',
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw await errorFromResponse(response);
  await adopt((await response.json()) as TokenAnswer);
}

/**
 * Rotates the refresh cookie for a new access token. Single-flight: concurrent callers (a timer
 * and several 401s) share one request, since the server rotates the cookie on every refresh.
 * Resolves false (and signs out locally) when there is no valid session.
 */
export function refreshSession(): Promise<boolean> {
  inflight ??= (async () => {
    try {
      const response = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'x-session-cookie': '1' },
        credentials: 'same-origin',
      });
      if (!response.ok) {
        const hadSession = session !== null;
        clear();
        if (hadSession) emit();
        return false;
      }
      await adopt((await response.json()) as TokenAnswer);
      return true;
    } catch {
      return session !== null;
    } finally {
      inflight = null;
    }
  })();
  return inflight;
}

/** Signs out: the server revokes the refresh token and clears the cookie; memory is wiped either way. */
export async function signOut(): Promise<void> {
  try {
    await fetch('/api/v1/auth/logout', {
      method: 'POST',
      headers: { 'x-session-cookie': '1', ...(accessToken !== null && { authorization: `Bearer ${accessToken}` }) },
      credentials: 'same-origin',
    });
  } finally {
    clear();
    emit();
  }
}
