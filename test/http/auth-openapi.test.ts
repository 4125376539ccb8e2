import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routePolicies } from '../../src/http/auth/authenticate.hook.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';

interface Operation {
  security?: unknown[];
  responses?: Record<string, unknown>;
  requestBody?: unknown;
}

describe('OpenAPI description of the auth, user and audit routes', () => {
  let t: TestApp;
  let paths: Record<string, Record<string, Operation>>;

  beforeAll(async () => {
    t = await buildTestApp({ backend: 'pglite' });
    paths = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths;
  });
  afterAll(async () => t.close());

  it('documents every route with responses, and security exactly on non-public ones', () => {
    const ours = routePolicies(t.app).filter((r) => /^\/api\/v1\/(auth|users|audit)/.test(r.url) && r.method !== 'HEAD');
    expect(ours.length).toBeGreaterThanOrEqual(17);
    for (const route of ours) {
      const path = route.url.replace(/:([A-Za-z_]+)/g, '{$1}').replace(/\/$/, '');
      const operation = (paths[path] ?? paths[`${path}/`])?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.url}`).toBeDefined();
      expect(Object.keys(operation!.responses ?? {}).length, `${route.method} ${route.url}`).toBeGreaterThan(1);
      if (route.policy === 'public') expect(operation!.security).toEqual([]);
      else expect(operation!.security).toEqual([{ bearerAuth: [] }, { apiKey: [] }]);
    }
    expect(paths['/api/v1/auth/login']!.post!.requestBody).toBeDefined();
  });
});
