import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startPlatform, type Platform } from '../../src/server.js';
import { DEPLOY, findTools, run } from './tools.js';

/**
 * The shipped nginx template, rendered as the nginx image would (envsubst), checked with `nginx -t`
 * and then run for real (foreground, temp prefix, random ports) in front of a demo-mode platform.
 */
const tools = findTools('nginx reverse-proxy tests', ['nginx', 'openssl'] as const);
const TEMPLATE = readFileSync(path.join(DEPLOY, 'nginx/templates/simfleet.conf.template'), 'utf8');
const BROTLI_MODULE = '/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so';

async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function ipv6Available(): Promise<boolean> {
  try {
    await freePort('::1');
    return true;
  } catch {
    return false;
  }
}

/** envsubst for the variables the template documents; an unknown `${...}` left behind fails the test. */
function render(vars: Record<string, string>, template = TEMPLATE): string {
  const out = template.replace(/\$\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
  const left = /\$\{(\w+)\}/.exec(out);
  if (left) throw new Error(`template variable ${left[0]} has no value`);
  return out;
}

interface Nginx {
  dir: string;
  httpPort: number;
  httpsPort: number;
  process?: ChildProcess;
  stop(): Promise<void>;
}

/** Writes a self-contained prefix (main config, rendered site, snippets, certificate) and optionally starts nginx. */
async function prepareNginx(upstream: string, options: { cert: string; key: string; ipv6: boolean; brotli: boolean; template?: string }): Promise<Nginx> {
  const dir = mkdtempSync(path.join(tmpdir(), 'simfleet-nginx-'));
  chmodSync(dir, 0o755);
  for (const sub of ['conf.d', 'snippets', 'tmp', 'logs']) mkdirSync(path.join(dir, sub));
  chmodSync(path.join(dir, 'tmp'), 0o777);
  cpSync(path.join(DEPLOY, 'nginx/snippets/compression-gzip.conf'), path.join(dir, 'snippets/compression-gzip.conf'));
  if (options.brotli) cpSync(path.join(DEPLOY, 'nginx/snippets/optional/compression-brotli.conf'), path.join(dir, 'snippets/compression-brotli.conf'));
  const httpPort = await freePort();
  const httpsPort = await freePort();
  let site = render(
    {
      SIMFLEET_UPSTREAM: upstream,
      SIMFLEET_SERVER_NAME: 'localhost',
      NGINX_HTTP_PORT: String(httpPort),
      NGINX_HTTPS_PORT: String(httpsPort),
      NGINX_TLS_CERT: options.cert,
      NGINX_TLS_KEY: options.key,
      NGINX_SNIPPETS: path.join(dir, 'snippets'),
    },
    options.template,
  );
  // Sandboxes without IPv6 cannot bind [::]; the IPv4 listeners carry the test.
  if (!options.ipv6) site = site.replace(/^\s*listen \[::\]:.*$/gm, '');
  writeFileSync(path.join(dir, 'conf.d/simfleet.conf'), site);
  const mime = existsSync('/etc/nginx/mime.types') ? 'include /etc/nginx/mime.types;' : '';
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    [
      options.brotli ? `load_module ${BROTLI_MODULE};` : '',
      process.getuid?.() === 0 ? 'user root root;' : '',
      'worker_processes 1;',
      'daemon off;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/logs/error.log warn;`,
      'events { worker_connections 256; }',
      'http {',
      `  ${mime}`,
      `  access_log ${dir}/logs/access.log;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/tmp/${t};`),
      `  include ${dir}/conf.d/*.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  const nginx: Nginx = {
    dir,
    httpPort,
    httpsPort,
    async stop() {
      const child = nginx.process;
      if (child !== undefined && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return nginx;
}

async function startNginx(nginx: Nginx, binary: string): Promise<void> {
  const child = spawn(binary, ['-p', nginx.dir, '-c', path.join(nginx.dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.process = child;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${readFileSync(path.join(nginx.dir, 'logs/error.log'), 'utf8')}`);
    const up = await new Promise<boolean>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: nginx.httpPort, path: '/', method: 'HEAD' }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error('nginx did not start listening');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  tlsProtocol?: string | null;
  /** Milliseconds from sending to each body chunk. */
  chunkTimes: number[];
}

/** One HTTPS request through nginx, trusting only the throwaway certificate. */
function tls(nginx: Nginx, ca: string, pathname: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpsRequest(
      { host: '127.0.0.1', port: nginx.httpsPort, servername: 'localhost', ca, path: pathname, method: init.method ?? 'GET', headers: { host: 'localhost', ...init.headers } },
      (res) => {
        // Read now: the socket is detached from the response once the body ends.
        const tlsProtocol = (res.socket as { getProtocol?: () => string | null } | null)?.getProtocol?.() ?? null;
        const chunks: Buffer[] = [];
        const chunkTimes: number[] = [];
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          chunkTimes.push(performance.now() - started);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), tlsProtocol, chunkTimes }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A server-sent-events upstream: one event, a pause, a second event, then the end. */
function sseUpstream(pauseMs: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url !== '/api/v1/events/stream') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('id: 1\nevent: sim.updated\ndata: {"n":1}\n\n');
    setTimeout(() => res.end('id: 2\nevent: sim.updated\ndata: {"n":2}\n\n'), pauseMs);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

describe.skipIf(tools === undefined)('nginx in front of the platform', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'simfleet-nginx-test-'));
  const dataDir = path.join(work, 'data');
  const cert = path.join(work, 'cert.pem');
  const key = path.join(work, 'key.pem');
  let ca = '';
  let ipv6 = false;
  const brotli = existsSync(BROTLI_MODULE);
  let platform: Platform | undefined;
  let nginx: Nginx | undefined;
  const extra: Nginx[] = [];
  const servers: Server[] = [];
  const ADMIN = { username: 'nginx-admin', password: 'nginx-test-password-0123456789' };

  beforeAll(async () => {
    const made = run(tools!.openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost']);
    expect(made.status, made.output).toBe(0);
    ca = readFileSync(cert, 'utf8');
    ipv6 = await ipv6Available();
    const config = loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      SIMULATOR_PORT: '0',
      SIMULATOR_FLEET_SIZE: '20',
      LOG_LEVEL: 'silent',
      TRUST_PROXY: 'true',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
    });
    platform = await startPlatform(config, createLogger(config));
    nginx = await prepareNginx(new URL(platform.url).host, { cert, key, ipv6, brotli });
    const check = run(tools!.nginx, ['-t', '-p', nginx.dir, '-c', path.join(nginx.dir, 'nginx.conf')]);
    expect(check.status, check.output).toBe(0);
    await startNginx(nginx, tools!.nginx);
  }, 180_000);

  afterAll(async () => {
    await nginx?.stop();
    for (const n of extra) await n.stop();
    for (const s of servers) s.close();
    await platform?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('nginx -t rejects a broken site (the check can fail)', async () => {
    const broken = await prepareNginx('127.0.0.1:1', { cert, key, ipv6, brotli, template: TEMPLATE.replace('proxy_buffering off;', 'proxy_buffering sometimes;') });
    extra.push(broken);
    expect(run(tools!.nginx, ['-t', '-p', broken.dir, '-c', path.join(broken.dir, 'nginx.conf')]).status).not.toBe(0);
  });

  it('serves the platform over TLS with HSTS, and the platform sees the forwarded scheme', async () => {
    const res = await tls(nginx!, ca, '/health/ready');
    expect(res.status).toBe(200);
    expect(res.tlsProtocol).toMatch(/^TLSv1\.[23]$/);
    expect(JSON.parse(res.body.toString())).toMatchObject({ status: 'ready' });
    expect(res.headers['strict-transport-security']).toContain('max-age=');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers.server).toBe('nginx');
  });

  it('redirects plain HTTP to HTTPS, keeping the path and query', async () => {
    const res = await new Promise<{ status: number; location?: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: nginx!.httpPort, path: '/api/v1/sims?page=2', headers: { host: 'localhost' } }, (r) => {
        r.resume();
        resolve({ status: r.statusCode ?? 0, ...(r.headers.location !== undefined && { location: r.headers.location }) });
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(301);
    expect(res.location).toBe('https://localhost/api/v1/sims?page=2');
  });

  it('keeps /metrics private at the edge while the replica itself still serves it', async () => {
    for (const pathname of ['/metrics', '/api/v1/metrics']) {
      const res = await tls(nginx!, ca, pathname);
      expect(res.status).toBe(404);
      expect(res.body.toString()).not.toContain('simfleet_');
    }
    expect((await fetch(`${platform!.url}/metrics`)).status).toBe(200);
  });

  it(`compresses responses (${brotli ? 'brotli and gzip' : 'gzip; brotli module not installed'})`, async () => {
    const gz = await tls(nginx!, ca, '/openapi.json', { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.status).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    if (brotli) {
      const br = await tls(nginx!, ca, '/openapi.json', { headers: { 'accept-encoding': 'br, gzip' } });
      expect(br.headers['content-encoding']).toBe('br');
    }
  });

  it('lets 5 logins a minute through per address, then answers 429 problem+json', async () => {
    const login = () =>
      tls(nginx!, ca, '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    const statuses: number[] = [];
    let limited: Answer | undefined;
    for (let i = 0; i < 7; i++) {
      const res = await login();
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(limited!.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(limited!.body.toString())).toMatchObject({ status: 429, code: 'rate_limited' });
    // Other API routes have their own, larger budget.
    expect((await tls(nginx!, ca, '/health/live')).status).toBe(200);
  });

  it('reaches the Data Streamer ingest path (the platform answers, not nginx)', async () => {
    const res = await tls(nginx!, ca, '/api/v1/streams/1nce', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('streams server-sent events without buffering; the same upstream behind a buffering location arrives late', async () => {
    const pauseMs = 1500;
    const upstream = await sseUpstream(pauseMs);
    servers.push(upstream.server);
    const origin = `127.0.0.1:${upstream.port}`;
    const streaming = await prepareNginx(origin, { cert, key, ipv6, brotli });
    const buffering = await prepareNginx(origin, { cert, key, ipv6, brotli, template: TEMPLATE.replace('proxy_buffering off;', 'proxy_buffering on;') });
    extra.push(streaming, buffering);
    await startNginx(streaming, tools!.nginx);
    await startNginx(buffering, tools!.nginx);

    const unbuffered = await tls(streaming, ca, '/api/v1/events/stream', { headers: { accept: 'text/event-stream', 'accept-encoding': 'gzip, br' } });
    expect(unbuffered.status).toBe(200);
    expect(unbuffered.headers['content-type']).toBe('text/event-stream');
    expect(unbuffered.headers['content-encoding']).toBeUndefined();
    expect(unbuffered.body.toString()).toContain('data: {"n":2}');
    // The first event reached the client on its own, a whole pause before the last one (measured
    // between chunks, so a slow TLS handshake on a busy machine does not matter).
    const spread = (a: Answer) => a.chunkTimes[a.chunkTimes.length - 1]! - a.chunkTimes[0]!;
    expect(spread(unbuffered)).toBeGreaterThan(pauseMs * 0.6);

    const control = await tls(buffering, ca, '/api/v1/events/stream', { headers: { accept: 'text/event-stream' } });
    expect(control.body.toString()).toContain('data: {"n":1}');
    expect(spread(control)).toBeLessThan(pauseMs * 0.3);
  });

  it('the platform event stream passes through nginx (when the platform has it)', async () => {
    const probe = await fetch(`${platform!.url}/api/v1/events/stream`);
    await probe.body?.cancel();
    if (probe.status === 404) {
      process.stderr.write('\n!!! NOTE: GET /api/v1/events/stream is not on this branch yet; the SSE proxying is proven against the test upstream above only.\n\n');
      return;
    }
    const token = (await (await fetch(`${platform!.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })).json()) as { access_token: string };
    const controller = new AbortController();
    const res = await new Promise<{ status: number; type: string | undefined }>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: nginx!.httpsPort, servername: 'localhost', ca, path: '/api/v1/events/stream', headers: { host: 'localhost', accept: 'text/event-stream', authorization: `Bearer ${token.access_token}` }, signal: controller.signal },
        (r) => {
          resolve({ status: r.statusCode ?? 0, type: r.headers['content-type'] });
          controller.abort();
        },
      );
      req.on('error', (e) => (controller.signal.aborted ? undefined : reject(e)));
      req.end();
    });
    expect(res.status).toBe(200);
    expect(res.type).toContain('text/event-stream');
  });
});
