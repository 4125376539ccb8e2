import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

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
});
