import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT, basic, json, startSim, type TestSim } from './sim-helpers.js';

describe('simulator: /oauth/token and bearer auth', () => {
  let t: TestSim;
  beforeAll(async () => {
    t = await startSim();
  });
  afterAll(() => t.close());

  const tokenRequest = (headers: Record<string, string>, body?: string) => fetch(`${t.base}/oauth/token`, { method: 'POST', headers, ...(body === undefined ? {} : { body }) });

  it('issues a bearer token with 1NCE field names for JSON and form bodies, reusing it with a decreasing expires_in', async () => {
    const auth = basic(CLIENT.id, CLIENT.secret);
    const first = await tokenRequest({ authorization: auth, 'content-type': 'application/json' }, '{"grant_type":"client_credentials"}');
    expect(first.status).toBe(200);
    const a = await json(first);
    expect(Object.keys(a).sort()).toEqual(['access_token', 'expires_in', 'scope', 'status_code', 'token_type', 'userId']);
    expect(a).toMatchObject({ status_code: 200, token_type: 'bearer', expires_in: 3600, userId: CLIENT.id, scope: 'all' });
    expect(a.access_token.length).toBeGreaterThan(2000);
    // The token is base64 of {"idtoken","accesstoken"} like 1NCE's.
    expect(Object.keys(JSON.parse(Buffer.from(a.access_token, 'base64').toString('utf8')))).toEqual(['idtoken', 'accesstoken']);

    t.sim.clock.advance(600);
    const second = await json(await tokenRequest({ authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=client_credentials'));
    expect(second.access_token).toBe(a.access_token);
    expect(second.expires_in).toBeLessThanOrEqual(3000);
    expect(second.expires_in).toBeGreaterThan(2990);
  });

  it('expires the token after 3600 simulated seconds with a Spring-style 401, then issues a new one', async () => {
    const old = await t.token();
    expect((await t.get('/v1/sims', old)).status).toBe(200);
    t.sim.clock.advance(3600);
    const res = await t.get('/v1/sims', old);
    expect(res.status).toBe(401);
    const body = await json(res);
    expect(Object.keys(body)).toEqual(['timestamp', 'status', 'error', 'message', 'path']);
    expect(body).toMatchObject({ status: 401, error: 'Unauthorized', path: '/internal-global-api/v1/sims' });
    expect(body.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
    const fresh = await json(await tokenRequest({ authorization: basic(CLIENT.id, CLIENT.secret), 'content-type': 'application/json' }, '{"grant_type":"client_credentials"}'));
    expect(fresh.access_token).not.toBe(old);
    expect(fresh.expires_in).toBe(3600);
    expect((await t.get('/v1/sims', fresh.access_token)).status).toBe(200);
  });

  it('answers the documented 400 error shapes', async () => {
    const cases: Array<[Record<string, string>, string | undefined, string]> = [
      [{ 'content-type': 'application/json' }, '{"grant_type":"client_credentials"}', 'AuthValidationError'],
      [{ authorization: basic(CLIENT.id, CLIENT.secret), 'content-type': 'application/json' }, '{}', 'BodyValidationError'],
      [{ authorization: basic(CLIENT.id, 'wrong'), 'content-type': 'application/json' }, '{"grant_type":"client_credentials"}', 'BadCredentials'],
      [{ authorization: basic('nobody', 'x'), 'content-type': 'application/json' }, '{"grant_type":"client_credentials"}', 'BadCredentials'],
      [{ authorization: basic(CLIENT.id, CLIENT.secret), 'content-type': 'text/plain' }, 'grant_type=client_credentials', 'UnsupportedContentTypeError'],
    ];
    for (const [headers, body, errorCode] of cases) {
      const res = await tokenRequest(headers, body);
      expect(res.status).toBe(400);
      const b = await json(res);
      expect(Object.keys(b)).toEqual(['statusCode', 'errorCode', 'message']);
      expect(b).toMatchObject({ statusCode: 400, errorCode });
    }
    const missingPassword = await json(await tokenRequest({ authorization: `Basic ${Buffer.from('demo:').toString('base64')}`, 'content-type': 'application/json' }, '{"grant_type":"client_credentials"}'));
    expect(missingPassword.message).toBe("Auth header validation error: Missing attributes 'password'");
  });

  it('refuses API calls without or with a garbage bearer token', async () => {
    const none = await fetch(`${t.base}/v1/sims/8988280666000000000/status`);
    expect(none.status).toBe(401);
    const garbage = await t.get('/v2/sims', 'not-a-token');
    expect(garbage.status).toBe(401);
    expect((await json(garbage)).path).toBe('/internal-global-api/v2/sims');
  });
});
