/**
 * `POST /oauth/token` (reference §2.1): Basic client credentials, JSON or form body with
 * `grant_type=client_credentials`, 400 errors shaped `{statusCode, errorCode, message}`.
 */
import type { FastifyInstance } from 'fastify';
import type { SimContext } from './context.js';
import { sendJson, sendTokenError } from './http.js';

/** Splits `Authorization: Basic base64(user:pass)`; missing parts come back undefined. */
export function parseBasic(header: string | undefined): { username: string | undefined; password: string | undefined } {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (match === null) return { username: undefined, password: undefined };
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const at = decoded.indexOf(':');
  const username = at < 0 ? decoded : decoded.slice(0, at);
  const password = at < 0 ? '' : decoded.slice(at + 1);
  return { username: username === '' ? undefined : username, password: password === '' ? undefined : password };
}

/** Registers the token endpoint. */
export function registerOauthRoutes(api: FastifyInstance, ctx: SimContext): void {
  api.post('/oauth/token', async (request, reply) => {
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const hasBody = request.body !== undefined && request.body !== null && request.body !== '';
    if (contentType !== '' && contentType !== 'application/json' && contentType !== 'application/x-www-form-urlencoded') {
      return sendTokenError(reply, 'UnsupportedContentTypeError', 'Content-Type not supported');
    }
    const { username, password } = parseBasic(request.headers.authorization);
    const missing = [username === undefined ? "'username'" : undefined, password === undefined ? "'password'" : undefined].filter((m) => m !== undefined);
    if (missing.length > 0) return sendTokenError(reply, 'AuthValidationError', `Auth header validation error: Missing attributes ${missing.join(', ')}`);
    // Some clients put grant_type in the query string with an empty form body; 1NCE accepted that.
    const body = hasBody && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
    const grantType = body.grant_type ?? (request.query as Record<string, unknown>).grant_type;
    if (grantType === undefined || grantType === '') return sendTokenError(reply, 'BodyValidationError', "Request body validation error: Missing attributes 'grant_type'");
    if (grantType !== 'client_credentials') return sendTokenError(reply, 'BodyValidationError', "Request body validation error: Invalid value for 'grant_type'");
    if (username !== ctx.clientId) return sendTokenError(reply, 'BadCredentials', 'User does not exist.');
    if (password !== ctx.clientSecret) return sendTokenError(reply, 'BadCredentials', 'Incorrect username or password.');
    const { token, expiresIn, fresh } = ctx.state.tokens.issue(`${username}:${password}`, username);
    if (fresh) ctx.stats.tokensIssued++;
    return sendJson(reply, 200, { status_code: 200, access_token: token, token_type: 'bearer', expires_in: expiresIn, userId: username, scope: 'all' });
  });
}
