import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from './app.js';
import { authHeaders } from './auth.js';

describe('authHeaders', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(['api_key', 'jwt'] as const)('authenticates a caller of the given role via %s', async (via) => {
    const headers = await authHeaders(t, 'operator', { via });
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers });
    expect(me.statusCode).toBe(200);
    const body = me.json();
    expect(body.user.role).toBe('operator');
  });
});
