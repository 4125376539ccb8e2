import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadClientConfig, loadConfig } from './config.js';

const SECRET = 'x'.repeat(40);

describe('loadConfig', () => {
  it('starts with zero configuration in demo mode with the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8000,
      host: '0.0.0.0',
      role: 'all',
      dataDir: './data',
      databaseUrl: undefined,
      redisUrl: undefined,
      demoMode: true,
      jwtSecret: undefined,
      provider: { apiUrl: 'https://api.1nce.com/management-api' },
      schedules: { syncSimsMinutes: 15, syncUsageMinutes: 60, checkQuotasMinutes: 30, cleanupCron: '0 2 * * *' },
      simulator: { port: 8900, fleetSize: 1000, clientId: 'demo', clientSecret: 'demo-secret', mode: 'observed', simsRps: 10 },
    });
  });

  it('leaves demo mode when 1NCE credentials are set, and then requires JWT_SECRET', () => {
    expect(() => loadConfig({ ONCE_CLIENT_ID: 'id', ONCE_CLIENT_SECRET: 'secret' })).toThrow(/JWT_SECRET is required/);
    const config = loadConfig({ ONCE_CLIENT_ID: 'id', ONCE_CLIENT_SECRET: 'secret', JWT_SECRET: SECRET });
    expect(config.demoMode).toBe(false);
    expect(config.jwtSecret).toBe(SECRET);
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        ROLE: 'boss',
        DATABASE_URL: 'mysql://db',
        REDIS_URL: 'not a url',
        JWT_SECRET: 'short',
        ONCE_CLIENT_ID: 'only-id',
        SIMULATOR_MODE: 'chaos',
        CLEANUP_CRON: 'every day',
        CORS_ORIGINS: 'https://ok.example.com,https://bad.example.com/path',
        SYNC_SIMS_INTERVAL_MINUTES: '0',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(10);
    for (const name of ['PORT', 'ROLE', 'DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'ONCE_CLIENT_ID', 'SIMULATOR_MODE', 'CLEANUP_CRON', 'CORS_ORIGINS', 'SYNC_SIMS_INTERVAL_MINUTES']) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
    expect((error as Error).message).toContain('Invalid configuration:');
  });

  it('requires a strong STREAMER_PASSWORD outside demo mode, listing every problem', () => {
    const live = { ONCE_CLIENT_ID: 'id', ONCE_CLIENT_SECRET: 'secret', JWT_SECRET: SECRET, STREAMER_USERNAME: 'onceingest' };
    const problems = (password: string) => {
      try {
        loadConfig({ ...live, STREAMER_PASSWORD: password });
        return [];
      } catch (error) {
        return (error as ConfigError).problems.filter((p) => p.startsWith('STREAMER_PASSWORD'));
      }
    };
    expect(problems('s3cret')).toEqual([expect.stringMatching(/at least 16 characters/)]);
    expect(problems('abab')).toEqual([expect.stringMatching(/at least 16 characters/), expect.stringMatching(/different characters/)]);
    expect(problems('password1234567890')).toEqual([expect.stringMatching(/too common/)]);
    expect(problems('onceingest2025!!!!')).toEqual([expect.stringMatching(/username/)]);
    expect(problems('aaaaaaaaaaaaaaaaaaaa')).toEqual([expect.stringMatching(/different characters/)]);
    expect(problems('violet-Harbor-kettle-42')).toEqual([]);
    // The message never echoes the password itself.
    expect(() => loadConfig({ ...live, STREAMER_PASSWORD: 'weak-one' })).toThrow(ConfigError);
    expect(problems('weak-one').join(' ')).not.toContain('weak-one');
    // Demo mode stays free (the demo streamer's password is generated anyway).
    expect(loadConfig({ STREAMER_USERNAME: 'u', STREAMER_PASSWORD: 'p' }).streamer).toEqual({ username: 'u', password: 'p', inflightLimitBytes: 32 * 1_048_576 });
    expect(loadConfig({ STREAM_INFLIGHT_LIMIT_BYTES: '2097152' }).streamer.inflightLimitBytes).toBe(2_097_152);
    expect(() => loadConfig({ STREAM_INFLIGHT_LIMIT_BYTES: '1000' })).toThrow(ConfigError);
  });

  it('never echoes connection strings, which carry passwords', () => {
    for (const url of ['mysql://u:supersecret@db/app', 'postgres://u:supersecret@[bad']) {
      let message = '';
      try {
        loadConfig({ DATABASE_URL: url });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain('DATABASE_URL');
      expect(message).not.toContain('supersecret');
    }
  });

  it('parses lists, booleans and optional numbers', () => {
    const config = loadConfig({
      CORS_ORIGINS: 'https://a.example.com, http://localhost:5173',
      TRUST_PROXY: 'yes',
      USAGE_RETENTION_DAYS: '730',
      ROLE: 'WORKER',
    });
    expect(config.corsOrigins).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(config.trustProxy).toBe(true);
    expect(config.retention).toEqual({ usageDays: 730, eventDays: undefined });
    expect(config.role).toBe('worker');
  });

  it('takes PUBLIC_URL as a plain base URL without a trailing slash', () => {
    expect(loadConfig({}).publicUrl).toBeUndefined();
    expect(loadConfig({ PUBLIC_URL: 'https://sims.example.org/fleet/' }).publicUrl).toBe('https://sims.example.org/fleet');
    expect(() => loadConfig({ PUBLIC_URL: 'https://u:p@sims.example.org/?x=1' })).toThrow(/PUBLIC_URL must be a plain base URL/);
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://sims.example.org' })).toThrow(/PUBLIC_URL must use http: or https:/);
  });
});

describe('secrets from files (<NAME>_FILE)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'simfleet-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const at = path.join(dir, name);
    writeFileSync(at, content);
    return at;
  };

  it('reads each secret from its file, trimmed', () => {
    const config = loadConfig({
      JWT_SECRET_FILE: file('jwt', 'j'.repeat(40) + '\n'),
      ENCRYPTION_KEY_FILE: file('enc', 'e'.repeat(40)),
      ONCE_CLIENT_ID: 'client',
      ONCE_CLIENT_SECRET_FILE: file('once', 'once-secret\n'),
      DATABASE_URL_FILE: file('db', 'postgres://u:p@db:5432/simfleet\n'),
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD_FILE: file('admin', 'admin-password'),
    });
    expect(config.jwtSecret).toBe('j'.repeat(40));
    expect(config.encryptionKey).toBe('e'.repeat(40));
    expect(config.provider.clientSecret).toBe('once-secret');
    expect(config.databaseUrl).toBe('postgres://u:p@db:5432/simfleet');
    expect(config.admin.password).toBe('admin-password');
    expect(config.demoMode).toBe(false);
  });

  it('lists unreadable, empty and doubly-set secrets without echoing any value', () => {
    let message = '';
    try {
      loadConfig({
        JWT_SECRET_FILE: path.join(dir, 'missing'),
        ENCRYPTION_KEY: 'k'.repeat(40),
        ENCRYPTION_KEY_FILE: file('enc2', 'x'.repeat(40)),
        REDIS_URL_FILE: file('empty', '  \n'),
        ONCE_CLIENT_ID: 'client',
        ONCE_CLIENT_SECRET: 'supersecret',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/JWT_SECRET_FILE ".*missing" cannot be read \(ENOENT\)/);
    expect(message).toContain('set either ENCRYPTION_KEY or ENCRYPTION_KEY_FILE, not both');
    expect(message).toContain('REDIS_URL_FILE names an empty file');
    expect(message).not.toContain('kkkk');
    expect(message).not.toContain('supersecret');
  });
});

describe('.env.example', () => {
  it('documents every variable the config module reads', () => {
    const source = readFileSync(new URL('./config.ts', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const names = [...source.matchAll(/r\.(?:raw|int|optionalInt|oneOf|bool|url)\('([A-Z0-9_]+)'/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(30);
    const missing = [...new Set(names)].filter((name) => !new RegExp(`^#?\\s*${name}=`, 'm').test(example));
    expect(missing).toEqual([]);
  });
});

describe('loadClientConfig (CLI and stdio MCP)', () => {
  it('defaults to the local platform and reads the credential', () => {
    expect(loadClientConfig({}).url.href).toBe('http://127.0.0.1:8000/');
    const config = loadClientConfig({ SIMFLEET_URL: 'https://sims.example.com', SIMFLEET_API_KEY: ' sfk_abc ' });
    expect(config).toMatchObject({ apiKey: 'sfk_abc', token: undefined });
    expect(config.url.origin).toBe('https://sims.example.com');
  });

  it('lists every bad variable', () => {
    expect(() => loadClientConfig({ SIMFLEET_URL: 'ftp://x', SIMFLEET_API_KEY: 'has space' })).toThrow(/SIMFLEET_URL must be an http\(s\) URL[\s\S]*SIMFLEET_API_KEY/);
    expect(() => loadClientConfig({ SIMFLEET_URL: 'not a url' })).toThrow(/SIMFLEET_URL is not a URL/);
  });
});
