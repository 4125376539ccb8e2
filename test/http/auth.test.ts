import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/modules/users/access-tokens.js';
import { backends, buildTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';
import { createUser, GOOD_PASSWORD, login, shiftedClock, signedIn, signedInASecondAgo } from '../modules/users/fixtures.js';

const key = new TextEncoder().encode(TEST_JWT_SECRET);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token with a hand-built header, signed (or not) exactly as an attacker would. */
function forgeToken(header: object, payload: object, sign: (input: string) => string = () => ''): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(input)}`;
}

describe.each(backends)('auth (%s)', (backend) => {
  let t: TestApp;
  const clock = shiftedClock();
  const me = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers });

  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { API_RATE_LIMIT_RPS: '100000' }, identityClock: clock.now });
  });
  afterAll(async () => t.close());

  describe('login', () => {
    it('returns the token pair for username or e-mail, in any case', async () => {
      const { user, password } = await createUser(t, { role: 'operator' });
      const byName = await login(t, user.username.toUpperCase(), password);
      expect(byName).toMatchObject({ token_type: 'bearer', expires_in: 15 * 60 });
      expect(byName.access_token.split('.')).toHaveLength(3);
      expect(byName.refresh_token.length).toBeGreaterThanOrEqual(43);
      const byEmail = await login(t, user.email!.toUpperCase(), password);
      const response = await me({ authorization: `Bearer ${byEmail.access_token}` });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ user: { id: user.id, role: 'operator' }, auth: { method: 'jwt', effective_role: 'operator' } });
      expect(response.json().user).not.toHaveProperty('password_hash');
    });

    it('gives the same 401 for an unknown user, a wrong password and a deactivated account', async () => {
      const { user, password } = await createUser(t);
      const inactive = await createUser(t);
      await t.deps.identity.users.setActive(inactive.user.id, false);
      const attempts = [
        { username: 'nobody-here', password: GOOD_PASSWORD },
        { username: user.username, password: `${password}x` },
        { username: inactive.user.username, password: inactive.password },
      ];
      const bodies = [];
      for (const [i, payload] of attempts.entries()) {
        const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload, remoteAddress: `10.20.0.${i}` });
        expect(response.statusCode).toBe(401);
        expect(response.headers['content-type']).toMatch(/problem\+json/);
        const { request_id: _id, ...body } = response.json();
        bodies.push(body);
      }
      expect(bodies[1]).toEqual(bodies[0]);
      expect(bodies[2]).toEqual(bodies[0]);
      expect(bodies[0]).toMatchObject({ code: 'invalid_credentials' });
    });

    it('spends an argon2 verification on unknown users too (no timing oracle)', async () => {
      const verifyDummy = vi.spyOn(t.deps.identity.hasher, 'verifyDummy');
      const verify = vi.spyOn(t.deps.identity.hasher, 'verify');
      await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'ghost-user', password: GOOD_PASSWORD }, remoteAddress: '10.21.0.1' });
      expect(verifyDummy).toHaveBeenCalledTimes(1);
      const { user } = await createUser(t);
      await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: 'wrong-password-here' }, remoteAddress: '10.21.0.2' });
      expect(verify).toHaveBeenCalled();
      expect(verifyDummy).toHaveBeenCalledTimes(1);
      vi.restoreAllMocks();
    });

    it.each([
      ['no body', undefined],
      ['missing password', { username: 'x' }],
      ['extra field', { username: 'x', password: 'y', admin: true }],
      ['wrong types', { username: 1, password: [] }],
      ['oversized password', { username: 'x', password: 'a'.repeat(300) }],
    ])('answers 400 problem+json for %s', async (_name, payload) => {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', ...(payload !== undefined && { payload }), remoteAddress: '10.22.0.1' });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
    });

    it('never echoes the password in any response', async () => {
      const secret = 'Zebra-Quartz-Lantern-9931';
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'someone', password: secret }, remoteAddress: '10.23.0.1' });
      expect(response.body).not.toContain(secret);
    });
  });

  describe('access tokens', () => {
    let userId: number;
    let headers: Record<string, string>;
    beforeAll(async () => {
      const session = await signedIn(t, 'viewer');
      userId = session.user.id;
      headers = session.headers;
    });
    const claims = () => ({ sub: String(userId), typ: 'access', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 });

    it('accepts the issued token', async () => {
      expect((await me(headers)).statusCode).toBe(200);
    });

    it('rejects alg "none"', async () => {
      const token = forgeToken({ alg: 'none', typ: 'JWT' }, claims());
      const response = await me({ authorization: `Bearer ${token}` });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'invalid_token' });
    });

    it('rejects HS512 and HS384 even with the right secret', async () => {
      for (const alg of ['HS384', 'HS512']) {
        const token = await new SignJWT(claims()).setProtectedHeader({ alg }).sign(key);
        expect((await me({ authorization: `Bearer ${token}` })).statusCode, alg).toBe(401);
      }
    });

    it('rejects a token signed with another secret, or tampered with', async () => {
      const other = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(48)));
      expect((await me({ authorization: `Bearer ${other}` })).statusCode).toBe(401);
      const [h, , s] = headers.authorization!.slice(7).split('.');
      const tampered = `${h}.${b64({ ...claims(), sub: '1' })}.${s}`;
      expect((await me({ authorization: `Bearer ${tampered}` })).statusCode).toBe(401);
    });

    it('checks iss, aud, exp and the token type', async () => {
      const hs256 = (payload: object) => forgeToken({ alg: 'HS256', typ: 'JWT' }, payload, (input) => createHmac('sha256', key).update(input).digest('base64url'));
      expect((await me({ authorization: `Bearer ${hs256(claims())}` })).statusCode).toBe(200);
      for (const [name, payload] of [
        ['issuer', { ...claims(), iss: 'someone-else' }],
        ['audience', { ...claims(), aud: 'another-api' }],
        ['expired', { ...claims(), iat: 1_000, exp: 2_000 }],
        ['no exp', { ...claims(), exp: undefined }],
        ['refresh type', { ...claims(), typ: 'refresh' }],
        ['bad subject', { ...claims(), sub: 'admin' }],
      ] as const) {
        const response = await me({ authorization: `Bearer ${hs256(payload)}` });
        expect(response.statusCode, name).toBe(401);
      }
      const expired = await me({ authorization: `Bearer ${hs256({ ...claims(), iat: 1_000, exp: 2_000 })}` });
      expect(expired.json()).toMatchObject({ code: 'token_expired' });
    });

    it.each([
      ['a Basic header', { authorization: 'Basic dXNlcjpwYXNz' }],
      ['an empty bearer', { authorization: 'Bearer ' }],
      ['garbage', { authorization: 'Bearer not.a.jwt' }],
      ['a malformed API key', { 'x-api-key': 'hello' }],
    ])('answers 401 problem+json for %s', async (_name, bad) => {
      const response = await me(bad);
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBeDefined();
    });

    it('refuses Authorization and X-API-Key together with 400', async () => {
      const response = await me({ ...headers, 'x-api-key': 'sfk_aaaaaaaaaaaa_' + 'a'.repeat(43) });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'ambiguous_credentials' });
    });
  });

  describe('refresh tokens', () => {
    const refresh = (token: string) => t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } });

    it('rotates: the new pair works, the old refresh token does not', async () => {
      const { tokens } = await signedIn(t, 'viewer');
      const first = await refresh(tokens.refresh_token);
      expect(first.statusCode).toBe(200);
      const next = first.json();
      expect(next.refresh_token).not.toBe(tokens.refresh_token);
      expect((await me({ authorization: `Bearer ${next.access_token}` })).statusCode).toBe(200);
      expect((await refresh(next.refresh_token)).statusCode).toBe(200);
    });

    it('revokes the whole family when a rotated token is reused, and counts it', async () => {
      const { tokens } = await signedIn(t, 'viewer');
      const rotated = (await refresh(tokens.refresh_token)).json();
      const before = (await t.deps.metrics.auth.refreshTokenReuse.get()).values[0]?.value ?? 0;
      const reuse = await refresh(tokens.refresh_token);
      expect(reuse.statusCode).toBe(401);
      expect(reuse.json()).toMatchObject({ code: 'refresh_token_reused' });
      // The legitimate successor is now dead too: the thief and the victim both sign in again.
      expect((await refresh(rotated.refresh_token)).statusCode).toBe(401);
      expect((await t.deps.metrics.auth.refreshTokenReuse.get()).values[0]?.value).toBe(before + 1);
    });

    it('stores only hashes of refresh tokens', async () => {
      const { tokens, user } = await signedIn(t, 'viewer');
      const rows = await t.deps.database.db.selectFrom('refresh_tokens').select('token_hash').where('user_id', '=', user.id).execute();
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.map((r) => r.token_hash)).not.toContain(tokens.refresh_token);
    });

    it('refuses unknown tokens, access tokens and bad bodies', async () => {
      const { tokens } = await signedIn(t, 'viewer');
      expect((await refresh('nope')).statusCode).toBe(401);
      expect((await refresh(tokens.access_token)).statusCode).toBe(401);
      const bad = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { token: 'x' } });
      expect(bad.statusCode).toBe(400);
    });

    it('logout revokes the session: its refresh token stops working', async () => {
      const { tokens } = await signedIn(t, 'viewer');
      const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', payload: { refresh_token: tokens.refresh_token } });
      expect(out.statusCode).toBe(204);
      expect((await refresh(tokens.refresh_token)).statusCode).toBe(401);
      const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', payload: { refresh_token: 'unknown' } });
      expect(unknown.statusCode).toBe(401);
    });

    it('refuses refresh for a deactivated user', async () => {
      const { tokens, user } = await signedIn(t, 'viewer');
      await t.deps.identity.users.setActive(user.id, false);
      expect((await refresh(tokens.refresh_token)).statusCode).toBe(401);
    });
  });

  describe('changes apply on the next request', () => {
    it('deactivation locks out the JWT and the API key at once; reactivation restores the key', async () => {
      const session = await signedIn(t, 'operator');
      const key = await t.deps.identity.apiKeys.create({ kind: 'user', userId: session.user.id, username: session.user.username, role: 'operator', userRole: 'operator' }, {});
      expect((await me(session.headers)).statusCode).toBe(200);
      await t.deps.identity.users.setActive(session.user.id, false);
      const jwt = await me(session.headers);
      expect(jwt.statusCode).toBe(401);
      expect(jwt.json()).toMatchObject({ code: 'account_disabled' });
      expect((await me({ 'x-api-key': key.api_key })).statusCode).toBe(401);
      await t.deps.identity.users.setActive(session.user.id, true);
      expect((await me({ 'x-api-key': key.api_key })).statusCode).toBe(200);
    });

    it('a role change is effective immediately for an existing token', async () => {
      await createUser(t, { role: 'admin' });
      const session = await signedIn(t, 'viewer');
      const listUsers = () => t.app.inject({ method: 'GET', url: '/api/v1/users', headers: session.headers });
      expect((await listUsers()).statusCode).toBe(403);
      await t.deps.identity.users.changeRole(session.user.id, 'admin');
      expect((await listUsers()).statusCode).toBe(200);
      await t.deps.identity.users.changeRole(session.user.id, 'viewer');
      expect((await listUsers()).statusCode).toBe(403);
    });
  });

  describe('register (admins only)', () => {
    it('creates a user with 201 and no hash in the response', async () => {
      const admin = await signedIn(t, 'admin');
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        headers: admin.headers,
        payload: { username: 'newbie', email: 'newbie@example.com', password: 'Tangerine-Office-Lamp-7', role: 'operator' },
      });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toMatchObject({ username: 'newbie', role: 'operator', is_active: true });
      expect(response.body).not.toContain('argon2');
      expect((await login(t, 'newbie', 'Tangerine-Office-Lamp-7')).token_type).toBe('bearer');
    });

    it('refuses weak passwords with 422 and duplicates with 409, creating nothing', async () => {
      const admin = await signedIn(t, 'admin');
      const register = (payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: admin.headers, payload });
      const weak = await register({ username: 'weakling', email: 'weak@example.com', password: 'password1234', role: 'viewer' });
      expect(weak.statusCode).toBe(422);
      expect(weak.json()).toMatchObject({ code: 'weak_password' });
      expect(weak.body).not.toContain('password1234');
      const sameAsName = await register({ username: 'samename12345', password: 'samename12345' });
      expect(sameAsName.statusCode).toBe(422);
      expect(await t.deps.database.db.selectFrom('users').select('id').where('username', 'in', ['weakling', 'samename12345']).execute()).toEqual([]);

      const first = await register({ username: 'twin', email: 'twin@example.com', password: GOOD_PASSWORD });
      expect(first.statusCode).toBe(201);
      const dupName = await register({ username: 'TWIN', email: 'other@example.com', password: GOOD_PASSWORD });
      expect(dupName.statusCode).toBe(409);
      expect(dupName.json()).toMatchObject({ code: 'username_taken' });
      const dupEmail = await register({ username: 'twin2', email: 'Twin@Example.com', password: GOOD_PASSWORD });
      expect(dupEmail.json()).toMatchObject({ code: 'email_taken' });
    });

    it('validates username, e-mail and role', async () => {
      const admin = await signedIn(t, 'admin');
      for (const payload of [
        { username: 'a@b', password: GOOD_PASSWORD },
        { username: 'ok-name', email: 'not-an-email', password: GOOD_PASSWORD },
        { username: 'ok-name', password: GOOD_PASSWORD, role: 'superuser' },
        { username: 'x', password: GOOD_PASSWORD },
      ]) {
        const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: admin.headers, payload });
        expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      }
    });
  });

  describe('change own password', () => {
    it('requires the current password, ends old sessions and returns a fresh pair', async () => {
      const session = await signedInASecondAgo(t, clock, 'viewer');
      const change = (payload: object, headers = session.headers) => t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers, payload });
      const wrong = await change({ current_password: 'not-the-password', new_password: 'Brand-New-Secret-Words-1' });
      expect(wrong.statusCode).toBe(400);
      expect(wrong.json()).toMatchObject({ code: 'invalid_current_password' });
      expect((await change({ current_password: session.password, new_password: 'qwerty123456' })).statusCode).toBe(422);

      const ok = await change({ current_password: session.password, new_password: 'Brand-New-Secret-Words-1' });
      expect(ok.statusCode).toBe(200);
      const fresh = ok.json();
      expect((await me(session.headers)).statusCode).toBe(401);
      expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: session.tokens.refresh_token } })).statusCode).toBe(401);
      expect((await me({ authorization: `Bearer ${fresh.access_token}` })).statusCode).toBe(200);
      await expect(login(t, session.user.username, session.password)).rejects.toThrow(/401/);
      expect((await login(t, session.user.username, 'Brand-New-Secret-Words-1')).token_type).toBe('bearer');
    });
  });
});
