import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { createUser } from '../modules/users/fixtures.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';

describe('the web console, built', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'simfleet-console-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), INDEX);
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log("hi")');
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    t = await buildTestApp({ env: { CONSOLE_DIR: dir } });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['/', '/sims', '/sims/8988280666000000019', '/alerts?state=open'])('answers %s with index.html, uncached, under a strict CSP', async (url) => {
    const response = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(response.statusCode).toBe(200);
    // index.html with a per-response style nonce announced in a meta element, and the same nonce in the CSP.
    const nonce = /<meta name="csp-nonce" content="([A-Za-z0-9+/=]{24})">/.exec(response.body)?.[1];
    expect(nonce).toBeDefined();
    expect(response.body.replace(`<meta name="csp-nonce" content="${nonce}">`, '')).toBe(INDEX);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.headers['cache-control']).toBe('no-cache');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain(`style-src 'self' 'nonce-${nonce}';`);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const again = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
    expect(again.body).not.toContain(nonce);
  });

  it('serves hashed assets as immutable and root files', async () => {
    const asset = await t.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log("hi")');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const icon = await t.app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    const missing = await t.app.inject({ method: 'GET', url: '/assets/nope.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(missing.headers['cache-control']).toBeUndefined();
    const traversal = await t.app.inject({ method: 'GET', url: '/assets/..%2F..%2Fpackage.json' });
    expect(traversal.statusCode).toBe(404);
  });

  it.each(['/api/v1/nope', '/api/nope', '/health/nope', '/metrics/nope', '/docs/nope.html', '/mcp/x', '/openapi.json/x'])(
    'never answers %s with the SPA: JSON 404 problem',
    async (url) => {
      const response = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toContain('application/problem+json');
    },
  );

  it('never answers /mcp (the MCP endpoint) with the SPA: its own problem', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/mcp', headers: { accept: 'text/html' } });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('serves the console at / to any client, whatever it accepts', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).toMatch(/<html/i);
  });

  it('answers a non-HTML request for an unknown path with the 404 problem', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/sims', headers: { accept: 'application/json' } });
    expect(response.statusCode).toBe(404);
  });
});

describe('the web console, not built', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'simfleet-console-empty-'));
    t = await buildTestApp({ env: { CONSOLE_DIR: dir } });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says so on / instead of failing', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('not built');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/nope', headers: { accept: 'text/html' } })).statusCode).toBe(404);
  });
});

describe('browser sessions: refresh token in an HttpOnly cookie', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => t.close());

  const cookieOf = (setCookie: string | string[] | undefined) => {
    const value = Array.isArray(setCookie) ? setCookie[0]! : setCookie!;
    return { header: value, pair: value.split(';')[0]! };
  };

  it('sets the cookie on login, rotates it on refresh and clears it on logout', async () => {
    const { user, password } = await createUser(t, { role: 'operator' });
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-session-cookie': '1' }, payload: { username: user.username, password } });
    expect(login.statusCode).toBe(200);
    expect(login.json()).not.toHaveProperty('refresh_token');
    expect(login.json().access_token).toEqual(expect.any(String));
    const first = cookieOf(login.headers['set-cookie']);
    expect(first.header).toMatch(/^simfleet_refresh=[A-Za-z0-9_-]+; Path=\/api\/v1\/auth; HttpOnly; SameSite=Strict; Max-Age=\d+$/);

    // No body at all, the cookie and the custom header.
    const refreshed = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie: first.pair, 'x-session-cookie': '1' } });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json()).not.toHaveProperty('refresh_token');
    const second = cookieOf(refreshed.headers['set-cookie']);
    expect(second.pair).not.toBe(first.pair);

    // Without the custom header the cookie is not honoured (CSRF).
    const noHeader = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie: second.pair } });
    expect(noHeader.statusCode).toBe(403);
    expect(noHeader.json().code).toBe('session_header_required');

    // The rotated cookie is dead, and presenting it is reuse: cleared.
    const reused = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie: first.pair, 'x-session-cookie': '1', 'content-type': 'application/json' }, payload: {} });
    expect(reused.statusCode).toBe(401);
    expect(cookieOf(reused.headers['set-cookie']).header).toContain('Max-Age=0');

    const fresh = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-session-cookie': '1' }, payload: { username: user.username, password } });
    const third = cookieOf(fresh.headers['set-cookie']);
    const logout = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: third.pair, 'x-session-cookie': '1' } });
    expect(logout.statusCode).toBe(204);
    expect(cookieOf(logout.headers['set-cookie']).header).toContain('Max-Age=0');
    const after = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie: third.pair, 'x-session-cookie': '1' } });
    expect(after.statusCode).toBe(401);
  });

  it('keeps the script flow: tokens in the body, no cookie', async () => {
    const { user, password } = await createUser(t, { role: 'viewer' });
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password } });
    expect(login.statusCode).toBe(200);
    expect(login.headers['set-cookie']).toBeUndefined();
    const refreshed = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: login.json().refresh_token } });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json().refresh_token).toEqual(expect.any(String));
  });

  it('marks the cookie Secure behind a TLS-terminating proxy', async () => {
    const proxied = await buildTestApp({ env: { TRUST_PROXY: 'true' } });
    try {
      const { user, password } = await createUser(proxied, { role: 'viewer' });
      const login = await proxied.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'x-session-cookie': '1', 'x-forwarded-proto': 'https' },
        payload: { username: user.username, password },
      });
      expect(cookieOf(login.headers['set-cookie']).header).toMatch(/; Secure$/);
    } finally {
      await proxied.close();
    }
  });
});
