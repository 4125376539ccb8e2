import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { createUser, login, signedIn } from '../modules/users/fixtures.js';

describe.each(backends)('auth hardening over HTTP (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { API_RATE_LIMIT_RPS: '100000' } });
  });
  afterAll(async () => t.close());

  it('refuses credentials in the query string before trying them, naming the parameters, never their values', async () => {
    const session = await signedIn(t, 'viewer');
    const key = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/api-keys', headers: session.headers, payload: {} })).json().api_key as string;
    const attempts = [
      `/api/v1/sims?access_token=${session.tokens.access_token}`,
      `/api/v1/sims?page=1&api_key=${key}`,
      `/api/v1/auth/me?apikey=${key}`,
      '/api/v1/auth/me?token=abc',
      '/api/v1/users?password=hunter2hunter2',
      '/api/v1/webhooks?secret=x&client_secret=y',
    ];
    for (const url of attempts) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ code: 'credentials_in_query' });
      expect(response.body).not.toContain(key);
      expect(response.body).not.toContain(session.tokens.access_token);
      expect(response.json().instance).not.toContain('?');
    }
    // Even alongside a valid header credential: the URL has already leaked, the client must be fixed.
    const withHeader = await t.app.inject({ method: 'GET', url: `/api/v1/auth/me?api_key=${key}`, headers: session.headers });
    expect(withHeader.statusCode).toBe(400);
    // Ordinary filters are untouched.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/api-keys?include_revoked=true', headers: session.headers })).statusCode).toBe(200);
  });

  it('sends Cache-Control: no-store on login, refresh, register, me and API key responses, errors included', async () => {
    const { user, password } = await createUser(t);
    const loggedIn = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password } });
    expect(loggedIn.statusCode).toBe(200);
    const failed = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: 'wrong-password-x' } });
    expect(failed.statusCode).toBe(401);
    const tokens = await login(t, user.username, password);
    const refreshed = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: tokens.refresh_token } });
    expect(refreshed.statusCode).toBe(200);
    const admin = await signedIn(t, 'admin');
    const registered = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: admin.headers,
      payload: { username: `reg${Date.now()}`, password: 'violet-Harbor-kettle-42', role: 'viewer' },
    });
    expect(registered.statusCode).toBe(201);
    const key = await t.app.inject({ method: 'POST', url: '/api/v1/auth/api-keys', headers: admin.headers, payload: {} });
    expect(key.statusCode).toBe(201);
    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/auth/api-keys', headers: admin.headers });
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: admin.headers });
    for (const response of [loggedIn, failed, refreshed, registered, key, listed, me]) {
      expect(response.headers['cache-control']).toBe('no-store');
    }
  });
});
