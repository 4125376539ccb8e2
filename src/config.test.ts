import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

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
