import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { ensureFirstAdmin } from '../../../src/modules/users/bootstrap.js';
import { runCreateUser } from '../../../src/modules/users/create-user.command.js';
import { backends, buildTestApp, type TestApp } from '../../helpers/app.js';
import { GOOD_PASSWORD, login } from './fixtures.js';

function captureLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { lines, logger: createLogger({ logLevel: 'info' }, destination) };
}

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  });
  return { stream, text: () => text };
}

describe.each(backends)('first admin and create-user (%s)', (backend) => {
  let t: TestApp;
  afterEach(async () => t.close());

  it('creates the admin from ADMIN_USERNAME / ADMIN_PASSWORD once, without logging the password', async () => {
    t = await buildTestApp({ backend, env: { ADMIN_USERNAME: 'root-admin', ADMIN_PASSWORD: GOOD_PASSWORD } });
    const { lines, logger } = captureLogger();
    const deps = { config: t.config, users: t.deps.identity.users, audit: t.deps.audit, logger };
    expect(await ensureFirstAdmin(deps)).toEqual({ created: true, username: 'root-admin', generatedPassword: false });
    expect(await ensureFirstAdmin(deps)).toEqual({ created: false, reason: 'users_exist' });
    expect(lines.join('')).not.toContain(GOOD_PASSWORD);
    const tokens = await login(t, 'root-admin', GOOD_PASSWORD);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(me.json().user.role).toBe('admin');
  });

  it('refuses a weak ADMIN_PASSWORD with a clear error', async () => {
    t = await buildTestApp({ backend, env: { ADMIN_USERNAME: 'root-admin', ADMIN_PASSWORD: 'admin' } });
    const { logger } = captureLogger();
    await expect(ensureFirstAdmin({ config: t.config, users: t.deps.identity.users, audit: t.deps.audit, logger })).rejects.toThrow(
      /ADMIN_USERNAME \/ ADMIN_PASSWORD were refused: .*at least 12 characters/,
    );
  });

  it('in demo mode without ADMIN_* creates "admin" with a generated password printed once in the log', async () => {
    t = await buildTestApp({ backend });
    const { lines, logger } = captureLogger();
    const result = await ensureFirstAdmin({ config: { ...t.config, demoMode: true }, users: t.deps.identity.users, audit: t.deps.audit, logger });
    expect(result).toEqual({ created: true, username: 'admin', generatedPassword: true, password: expect.any(String) });
    const line = lines.find((l) => l.includes('demo mode: created admin user'))!;
    const password = /with password (\S+) /.exec(line)![1]!;
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(lines.filter((l) => l.includes(password))).toHaveLength(1);
    expect((await login(t, 'admin', password)).token_type).toBe('bearer');
    // The password is stored nowhere but its hash.
    const auditDump = JSON.stringify(await t.deps.database.db.selectFrom('audit_log').selectAll().execute());
    expect(auditDump).not.toContain(password);
  });

  it('outside demo mode without ADMIN_* creates nobody and says how to', async () => {
    t = await buildTestApp({ backend });
    const { lines, logger } = captureLogger();
    expect(await ensureFirstAdmin({ config: t.config, users: t.deps.identity.users, audit: t.deps.audit, logger })).toEqual({ created: false, reason: 'not_configured' });
    expect(lines.join('')).toContain('create-user');
  });

  it('create-user reads the password from stdin (no TTY) and validates options', async () => {
    t = await buildTestApp({ backend });
    const stdin = new PassThrough();
    stdin.end(`${GOOD_PASSWORD}\n`);
    const out = sink();
    const err = sink();
    const io = { stdin, stdout: out.stream, stderr: err.stream };
    expect(await runCreateUser(['--username', 'cli-op', '--email', 'cli@example.com', '--role', 'operator'], t.deps.database.db, io)).toBe(0);
    expect(out.text()).toContain('created operator "cli-op"');
    expect((await login(t, 'cli-op', GOOD_PASSWORD)).token_type).toBe('bearer');

    expect(await runCreateUser(['--username', 'x2', '--role', 'root', '--password', GOOD_PASSWORD], t.deps.database.db, io)).toBe(2);
    expect(await runCreateUser(['--email', 'a@b.c'], t.deps.database.db, io)).toBe(2);
    expect(await runCreateUser(['--username', 'weak-one', '--password', 'password'], t.deps.database.db, io)).toBe(1);
    expect(await runCreateUser(['--username', 'cli-op', '--password', GOOD_PASSWORD], t.deps.database.db, io)).toBe(1);
    expect(err.text()).toContain('already exists');
    expect(err.text()).not.toContain(GOOD_PASSWORD);
  });
});
