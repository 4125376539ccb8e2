import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.js';

describe('security headers and CORS', () => {
  let t: TestApp;
  afterEach(async () => t.close());

  it('sends helmet headers with a strict CSP on API responses', async () => {
    t = await buildTestApp({ backend: 'pglite' });
    const response = await t.app.inject({ method: 'GET', url: '/health' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    // Errors carry them too.
    const denied = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me' });
    expect(denied.headers['x-content-type-options']).toBe('nosniff');
  });

  it('relaxes the CSP only for the interactive docs, which keep working', async () => {
    t = await buildTestApp({ backend: 'pglite' });
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(String(docs.headers['content-security-policy'])).toContain("script-src 'self' 'unsafe-inline'");
    const initializer = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(initializer.statusCode).toBe(200);
  });

  it('sends no CORS headers when CORS_ORIGINS is empty', async () => {
    t = await buildTestApp({ backend: 'pglite' });
    const response = await t.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://ops.example.com' } });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows exactly the configured origins', async () => {
    t = await buildTestApp({ backend: 'pglite', env: { CORS_ORIGINS: 'https://ops.example.com' } });
    const allowed = await t.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://ops.example.com' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://ops.example.com');
    for (const origin of ['https://evil.example.com', 'https://ops.example.com.evil.net', 'http://ops.example.com']) {
      const denied = await t.app.inject({ method: 'GET', url: '/health', headers: { origin } });
      expect(denied.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/auth/me',
      headers: { origin: 'https://ops.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-api-key' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(String(preflight.headers['access-control-allow-headers']).toLowerCase()).toContain('x-api-key');
  });
});
