import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { installErrorHandling } from './http/error-handler.js';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, sink };
}

describe('logger', () => {
  it('writes JSON lines and redacts credentials wherever they appear', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ logLevel: 'info' }, sink);
    logger.info(
      {
        req: { headers: { authorization: 'Bearer eyJhbGciOi.secret', 'x-api-key': 'sfk_abc_def', host: 'x' } },
        account: { clientSecret: 'one', client_secret: 'two', name: 'acme' },
        body: { password: 'hunter2hunter2', username: 'ops' },
        token: 'tok',
      },
      'hello',
    );
    const line = lines.join('');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.msg).toBe('hello');
    expect(parsed.level).toBe('info');
    for (const secret of ['eyJhbGciOi', 'sfk_abc_def', '"one"', '"two"', 'hunter2', '"tok"']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('acme');
    expect(line).toContain('[redacted]');
  });

  it('redacts credentials in every logged request URL (Fastify request logs included)', async () => {
    const { lines, sink } = capture();
    const logger: FastifyBaseLogger = createLogger({ logLevel: 'info' }, sink);
    const app = Fastify({ loggerInstance: logger });
    // The app's own 404 handler: Fastify's default one would put the raw URL in its message.
    installErrorHandling(app);
    app.get('/api/v1/sims', async () => ({ ok: true }));
    try {
      await app.inject({ method: 'GET', url: '/api/v1/sims?page=2&access_token=eyJleaked&api_key=sfk_leak_key&password=hunter2hunter2' });
      await app.inject({ method: 'GET', url: '/nowhere?token=tok-leaked' });
    } finally {
      await app.close();
    }
    const text = lines.join('');
    expect(text).toContain('"url":"/api/v1/sims?page=2&access_token=[redacted]&api_key=[redacted]&password=[redacted]"');
    for (const secret of ['eyJleaked', 'sfk_leak_key', 'hunter2', 'tok-leaked']) expect(text).not.toContain(secret);

    const direct = capture();
    createLogger({ logLevel: 'info' }, direct.sink).warn({ url: 'https://u:pw-leak@hooks.example.com/?secret=s-leak', api_url: 'https://x/?token=t-leak' }, 'webhook');
    expect(direct.lines.join('')).not.toMatch(/pw-leak|s-leak|t-leak/);
  });
});
