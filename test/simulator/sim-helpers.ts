/**
 * Test helpers: start a simulator on an ephemeral port and talk to it over real HTTP.
 */
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

export const START = new Date('2025-06-15T12:00:00.000Z');
export const CLIENT = { id: 'demo', secret: 'demo-secret' };
export const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

export interface TestSim {
  sim: Simulator;
  base: string;
  root: string;
  token(): Promise<string>;
  get(path: string, token?: string): Promise<Response>;
  send(method: string, path: string, body?: unknown, token?: string): Promise<Response>;
  control(path: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

/** Starts a simulator (fast defaults: 200 SIMs, high /sims limit, fixed start time, clock speed 1). */
export async function startSim(overrides: Partial<SimulatorOptions> = {}): Promise<TestSim> {
  const sim = await createSimulator({
    port: 0,
    fleetSize: 200,
    seed: 42,
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    mode: 'observed',
    simsRps: 10_000,
    startTime: START,
    rateLimits: { oauthPerMinute: 100_000, ordersPerFiveMinutes: 100_000 },
    ...overrides,
  });
  const base = await sim.listen(0);
  const root = base.replace(/\/management-api$/, '');
  // Always asks the token endpoint: it returns the cached token, or a new one once simulated time expired it.
  const token = async () => {
    const res = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic(CLIENT.id, CLIENT.secret), 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    const body = (await res.json()) as { access_token: string };
    return body.access_token;
  };
  const send = async (method: string, path: string, body?: unknown, tok?: string) =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${tok ?? (await token())}`, ...(body === undefined ? {} : { 'content-type': 'application/json;charset=UTF-8' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    sim,
    base,
    root,
    token,
    get: (path, tok) => send('GET', path, undefined, tok),
    send,
    control: (path, body) =>
      fetch(`${root}/_simulator${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      }),
    close: () => sim.close(),
  };
}

/** Reads a JSON body typed loosely for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire JSON is asserted field by field
export async function json(res: Response): Promise<any> {
  return res.json();
}
