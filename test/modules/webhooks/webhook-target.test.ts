import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookPoster } from '../../../src/modules/webhooks/webhook-client.js';
import { allowedHostProblems, createWebhookTargetPolicy, WebhookTargetForbidden } from '../../../src/modules/webhooks/webhook-target.js';

const PUBLIC = '93.184.216.34';
const closed = { allowedHosts: [], allowPrivate: false, allowLoopback: false };

/** A resolver answering from a table (names not in it do not exist). */
const table = (entries: Record<string, string[]>) => (name: string) =>
  entries[name] === undefined ? Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' })) : Promise.resolve(entries[name]);

const refused = async (policy: ReturnType<typeof createWebhookTargetPolicy>, url: string) => {
  const error = await policy.assertUrlAllowed(url).then(
    () => undefined,
    (e: unknown) => e,
  );
  return error !== undefined && (error as { code?: string }).code === 'webhook_url_forbidden';
};

describe('webhook target policy (SSRF)', () => {
  const policy = createWebhookTargetPolicy({ ...closed, resolve: table({ 'hooks.example.com': [PUBLIC], 'evil.example.com': [PUBLIC, '10.0.0.5'], 'meta.example.com': ['169.254.169.254'] }) });

  it.each([
    'http://127.0.0.1/h',
    'http://127.1/h',
    'http://2130706433/h',
    'http://0x7f000001/h',
    'http://0177.0.0.1/h',
    'http://127.000.000.001/h',
    'http://[::1]/h',
    'http://[::ffff:127.0.0.1]/h',
    'http://[0:0:0:0:0:ffff:7f00:1]/h',
    'http://localhost/h',
    'http://localhost./h',
    'http://LOCALHOST:8080/h',
    'http://api.localhost/h',
    'http://0.0.0.0/h',
    'http://0/h',
    'http://[::]/h',
    'http://10.1.2.3/h',
    'http://172.16.0.1/h',
    'http://192.168.1.1/h',
    'http://100.64.0.1/h',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/h',
    'http://[fc00::1]/h',
    'http://[fe80::1]/h',
    'http://224.0.0.1/h',
    'http://[ff02::1]/h',
    'http://255.255.255.255/h',
    'http://[64:ff9b::7f00:1]/h',
    'http://[2002:7f00:1::]/h',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://100.100.100.200/h',
    'http://168.63.129.16/h',
    'https://evil.example.com/h',
    'https://meta.example.com/h',
  ])('refuses %s', async (url) => {
    expect(await refused(policy, url)).toBe(true);
  });

  it('accepts public receivers, and names that do not resolve yet (checked again at connect time)', async () => {
    for (const url of ['https://hooks.example.com/h', `http://${PUBLIC}:8443/h`, 'https://[2606:4700::1111]/h', 'https://not-yet.example.net/h']) {
      await expect(policy.assertUrlAllowed(url)).resolves.toBeUndefined();
    }
  });

  it('WEBHOOK_ALLOW_PRIVATE opens private ranges but never metadata, multicast or unspecified', async () => {
    const lab = createWebhookTargetPolicy({ ...closed, allowPrivate: true, resolve: table({}) });
    for (const url of ['http://127.0.0.1/h', 'http://localhost/h', 'http://10.1.2.3/h', 'http://[fd12::1]/h', 'http://100.64.0.1/h']) {
      await expect(lab.assertUrlAllowed(url)).resolves.toBeUndefined();
    }
    for (const url of ['http://169.254.169.254/h', 'http://[fd00:ec2::254]/h', 'http://0.0.0.0/h', 'http://224.0.0.1/h', 'http://metadata.google.internal/h']) {
      expect(await refused(lab, url), url).toBe(true);
    }
  });

  it('demo mode allows loopback only', async () => {
    const demo = createWebhookTargetPolicy({ ...closed, allowLoopback: true, resolve: table({}) });
    await expect(demo.assertUrlAllowed('http://127.0.0.1:9/h')).resolves.toBeUndefined();
    await expect(demo.assertUrlAllowed('http://[::1]/h')).resolves.toBeUndefined();
    expect(await refused(demo, 'http://10.0.0.1/h')).toBe(true);
  });

  it('WEBHOOK_ALLOWED_HOSTS trusts exact names, addresses and CIDR ranges', async () => {
    const allow = createWebhookTargetPolicy({
      ...closed,
      allowedHosts: ['hooks.internal', '10.20.0.0/16', '127.0.0.1'],
      resolve: table({ 'hooks.internal': ['10.9.9.9'], 'other.internal': ['10.9.9.9'] }),
    });
    for (const url of ['http://hooks.internal/h', 'http://HOOKS.internal./h', 'http://10.20.3.4/h', 'http://127.0.0.1:3000/h', 'http://[::ffff:10.20.0.1]/h']) {
      await expect(allow.assertUrlAllowed(url), url).resolves.toBeUndefined();
    }
    for (const url of ['http://other.internal/h', 'http://10.21.0.1/h', 'http://127.0.0.2/h', 'http://sub.hooks.internal/h']) {
      expect(await refused(allow, url), url).toBe(resolvesForbidden(url));
    }
  });

  it('validates WEBHOOK_ALLOWED_HOSTS entries', () => {
    expect(allowedHostProblems(['hooks.example.com', '10.0.0.0/8', '::1', '[fd00::1]', 'fd00::/8'])).toEqual([]);
    expect(allowedHostProblems(['http://x', '10.0.0.0/99', 'a b'])).toHaveLength(3);
  });
});

/** sub.hooks.internal does not resolve in the table above, so it is accepted for now (and checked at connect time). */
function resolvesForbidden(url: string): boolean {
  return !url.includes('sub.hooks.internal');
}

describe('webhook delivery client: the checked address is the connected address', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/redirect') {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/after-redirect` });
        res.end();
        return;
      }
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = (policy: ReturnType<typeof createWebhookTargetPolicy>, url: string) =>
    createWebhookPoster(policy)(url, { headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 5_000 });

  it('refuses a loopback IP literal before connecting', async () => {
    const before = hits.length;
    await expect(send(createWebhookTargetPolicy(closed), `http://127.0.0.1:${port}/literal`)).rejects.toBeInstanceOf(WebhookTargetForbidden);
    await expect(send(createWebhookTargetPolicy(closed), `http://[::ffff:127.0.0.1]:${port}/literal`)).rejects.toBeInstanceOf(WebhookTargetForbidden);
    expect(hits.length).toBe(before);
  });

  it('DNS rebinding: a name that was public when saved and resolves to loopback at delivery is never connected to', async () => {
    let answer = PUBLIC;
    const policy = createWebhookTargetPolicy({ ...closed, resolve: () => Promise.resolve([answer]) });
    const url = `http://rebind.test:${port}/rebound`;
    await expect(policy.assertUrlAllowed(url)).resolves.toBeUndefined();
    answer = '127.0.0.1';
    const before = hits.length;
    await expect(send(policy, url)).rejects.toThrow(/127\.0\.0\.1 is not allowed \(loopback/);
    expect(hits.length).toBe(before);
  });

  it('connects through the policy resolver (a trusted name reaches the address it resolved to)', async () => {
    const policy = createWebhookTargetPolicy({ ...closed, allowedHosts: ['receiver.test'], resolve: table({ 'receiver.test': ['127.0.0.1'] }) });
    // receiver.test exists in no real DNS: only our lookup can have produced the connection.
    await expect(send(policy, `http://receiver.test:${port}/trusted`)).resolves.toEqual({ status: 200 });
    expect(hits.at(-1)).toBe('/trusted');
  });

  it('never follows redirects: a 3xx is the answer', async () => {
    const policy = createWebhookTargetPolicy({ ...closed, allowedHosts: ['127.0.0.1'] });
    const before = hits.length;
    await expect(send(policy, `http://127.0.0.1:${port}/redirect`)).resolves.toEqual({ status: 302 });
    expect(hits.slice(before)).toEqual(['/redirect']);
  });
});
