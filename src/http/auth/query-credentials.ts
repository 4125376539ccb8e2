import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../errors.js';
import { credentialParams } from '../../lib/redact-url.js';

/**
 * Refuses `/api/v1` requests that carry a credential in the query string (`?access_token=`,
 * `?api_key=`, `?password=`, ...): URLs end up in proxy logs, browser history and Referer headers.
 * Runs before authentication, so the credential is never even tried; the logged URL is redacted
 * (logger.ts), and the answer names the parameters, never their values.
 */
export function refuseQueryCredentials(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route === undefined || (!route.startsWith('/api/v1/') && route !== '/mcp')) return done();
    const names = credentialParams(request.query);
    if (names.length === 0) return done();
    done(
      new ValidationError(
        `Credentials are not accepted in the query string (${names.join(', ')}); send Authorization: Bearer <token> or X-API-Key: <key>`,
        names.map((name) => ({ field: `query.${name}`, message: 'credentials must not be sent in the URL' })),
        'credentials_in_query',
      ),
    );
  });
}
