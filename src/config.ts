import { readFileSync } from 'node:fs';

/**
 * The one place that reads the environment. `loadConfig(env)` parses every variable once,
 * collects every problem, and throws a single `ConfigError` listing all of them, so an operator
 * fixes a broken deployment in one pass instead of one restart per typo.
 */

import { passwordProblems } from './modules/users/password-policy.js';
import { allowedHostProblems } from './modules/webhooks/webhook-target.js';

export type Role = 'api' | 'worker' | 'all';
export type SimulatorMode = 'observed' | 'spec';
export type UsageSource = 'auto' | 'v1' | 'v2' | 'streamer';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface SimulatorConfig {
  port: number;
  fleetSize: number;
  seed: number;
  clientId: string;
  clientSecret: string;
  mode: SimulatorMode;
  simsRps: number;
  /** `SIMULATOR_V1_RETIRED`: every /v1/ path answers 410 Gone, as after 1NCE's 2026-12-31 retirement. */
  v1Retired: boolean;
}

export interface Config {
  port: number;
  host: string;
  role: Role;
  logLevel: LogLevel;
  /** Maximum accepted request body in bytes; larger bodies are refused with 413. */
  bodyLimitBytes: number;
  trustProxy: boolean;
  shutdownTimeoutMs: number;
  corsOrigins: string[];
  /** The address clients use to reach this installation (`PUBLIC_URL`, no trailing slash); the OpenAPI `servers` entry. */
  publicUrl: string | undefined;
  dataDir: string;
  /** Directory of the built web console (index.html + assets/); unset: dist/web of this installation. */
  consoleDir: string | undefined;
  /** Unset means embedded PGlite under `dataDir`. */
  databaseUrl: string | undefined;
  databasePoolMax: number;
  redisUrl: string | undefined;
  /** Prefix of every Redis key this deployment writes (lets several deployments or tests share one Redis). */
  redisPrefix: string;
  /** True when no 1NCE credentials are configured: the built-in simulator stands in for 1NCE. */
  demoMode: boolean;
  /** Unset in demo mode until the composition root generates and persists one under `dataDir`. */
  jwtSecret: string | undefined;
  /** Key material for secrets at rest (provider and webhook secrets); falls back to the JWT secret. */
  encryptionKey: string | undefined;
  accessTokenTtlMinutes: number;
  refreshTokenTtlDays: number;
  apiRateLimitRps: number;
  /** Live event streams (GET /events/stream): concurrent streams per user and process, heartbeat interval. */
  live: { streamsPerUser: number; heartbeatSeconds: number };
  admin: { username: string | undefined; password: string | undefined };
  provider: {
    apiUrl: string;
    clientId: string | undefined;
    clientSecret: string | undefined;
    timeoutMs: number;
    /** `ONCE_USAGE_SOURCE`: where daily usage comes from (auto | v1 | v2 | streamer). */
    usageSource: UsageSource;
    /** `ONCE_USAGE_V2_PATH`: 1NCE's v2 daily-usage path template with `{iccid}` (unset until confirmed). */
    usageV2Path: string | undefined;
  };
  schedules: {
    syncSimsMinutes: number;
    syncUsageMinutes: number;
    checkQuotasMinutes: number;
    cleanupCron: string;
  };
  /** PostgreSQL schema of the job engine's tables (pg-boss), `JOBS_SCHEMA`. */
  jobsSchema: string;
  /**
   * `JOB_LEASE_SECONDS`: a running job renews its lease every third of this; a job whose worker
   * died is failed over to another worker this long after its last renewal (plus the engine's
   * maintenance interval, half of this).
   */
  jobLeaseSeconds: number;
  retention: { usageDays: number | undefined; eventDays: number | undefined };
  streamer: { username: string | undefined; password: string | undefined };
  /** Webhook receivers allowed besides public addresses (SSRF protection, modules/webhooks/webhook-target.ts). */
  webhooks: { allowedHosts: string[]; allowPrivate: boolean };
  simulator: SimulatorConfig;
}

/** Thrown by `loadConfig` with every problem found, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const ROLES: readonly Role[] = ['api', 'worker', 'all'];
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const SIMULATOR_MODES: readonly SimulatorMode[] = ['observed', 'spec'];
const USAGE_SOURCES: readonly UsageSource[] = ['auto', 'v1', 'v2', 'streamer'];

/**
 * Secrets that may also come from a file named by `<NAME>_FILE` (Docker/Kubernetes secrets mounted
 * as files, so the value never sits in the environment or in `docker inspect`).
 */
export const FILE_VARIABLES: ReadonlySet<string> = new Set([
  'DATABASE_URL',
  'REDIS_URL',
  'JWT_SECRET',
  'ENCRYPTION_KEY',
  'ADMIN_PASSWORD',
  'ONCE_CLIENT_SECRET',
  'STREAMER_PASSWORD',
]);

/** A small reader that records problems instead of throwing at the first one. */
function createReader(env: Env) {
  const problems: string[] = [];
  const fromFiles = new Map<string, string | undefined>();

  const fromFile = (name: string): string | undefined => {
    if (fromFiles.has(name)) return fromFiles.get(name);
    const file = env[`${name}_FILE`]?.trim();
    let value: string | undefined;
    if (file !== undefined && file !== '') {
      if (env[name]?.trim()) {
        problems.push(`set either ${name} or ${name}_FILE, not both`);
      } else {
        try {
          value = readFileSync(file, 'utf8').trim() || undefined;
          if (value === undefined) problems.push(`${name}_FILE names an empty file`);
        } catch (error) {
          // Never echo the content; the path and the reason are enough.
          problems.push(`${name}_FILE "${file}" cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      }
    }
    fromFiles.set(name, value);
    return value;
  };

  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim();
    if (value === undefined || value === '') return FILE_VARIABLES.has(name) ? fromFile(name) : undefined;
    if (FILE_VARIABLES.has(name)) fromFile(name);
    return value;
  };

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const value = raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) {
      problems.push(`${name} must be an integer, got "${value}"`);
      return fallback;
    }
    const parsed = Number(value);
    if (parsed < min || parsed > max) {
      problems.push(`${name} must be between ${min} and ${max}, got ${parsed}`);
      return fallback;
    }
    return parsed;
  };

  const optionalInt = (name: string, min: number, max: number): number | undefined =>
    raw(name) === undefined ? undefined : int(name, min, min, max);

  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const match = allowed.find((a) => a === value.toLowerCase());
    if (match === undefined) {
      problems.push(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
      return fallback;
    }
    return match;
  };

  const bool = (name: string, fallback: boolean): boolean => {
    const value = raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    problems.push(`${name} must be true or false, got "${value}"`);
    return fallback;
  };

  const url = (name: string, protocols: readonly string[]): string | undefined => {
    const value = raw(name);
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name} must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
      }
    } catch {
      // Never echo the value: connection strings carry passwords.
      problems.push(`${name} is not a valid URL`);
    }
    return value;
  };

  return { problems, raw, int, optionalInt, oneOf, bool, url };
}

/** A machine secret pasted once into 1NCE's portal: no reason for it to be short. */
export const STREAMER_PASSWORD_MIN_LENGTH = 16;

/** Every way a Data Streamer password is too weak outside demo mode (the user password policy, and longer). */
export function streamerPasswordProblems(password: string, username: string): string[] {
  const problems = passwordProblems(password, { username });
  if ([...password].length < STREAMER_PASSWORD_MIN_LENGTH) {
    return [`must be at least ${STREAMER_PASSWORD_MIN_LENGTH} characters long`, ...problems.filter((p) => !p.startsWith('must be at least'))];
  }
  return problems;
}

/** A five-field cron expression (minute hour day-of-month month day-of-week). */
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

function isCron(expression: string): boolean {
  const fields = expression.split(/\s+/);
  return fields.length === 5 && fields.every((f) => CRON_FIELD.test(f));
}

/** Parses and validates the whole configuration; throws `ConfigError` listing every problem. */
export function loadConfig(env: Env = process.env): Config {
  const r = createReader(env);

  const clientId = r.raw('ONCE_CLIENT_ID');
  const clientSecret = r.raw('ONCE_CLIENT_SECRET');
  if ((clientId === undefined) !== (clientSecret === undefined)) {
    r.problems.push('ONCE_CLIENT_ID and ONCE_CLIENT_SECRET must be set together (or both left unset for demo mode)');
  }
  const demoMode = clientId === undefined || clientSecret === undefined;

  const jwtSecret = r.raw('JWT_SECRET');
  if (jwtSecret === undefined && !demoMode) {
    r.problems.push('JWT_SECRET is required when 1NCE credentials are set (it is only optional in demo mode)');
  } else if (jwtSecret !== undefined && jwtSecret.length < 32) {
    r.problems.push('JWT_SECRET must be at least 32 characters long');
  }

  const encryptionKey = r.raw('ENCRYPTION_KEY');
  if (encryptionKey !== undefined && encryptionKey.length < 32) {
    r.problems.push('ENCRYPTION_KEY must be at least 32 characters long');
  }

  const adminUsername = r.raw('ADMIN_USERNAME');
  const adminPassword = r.raw('ADMIN_PASSWORD');
  if ((adminUsername === undefined) !== (adminPassword === undefined)) {
    r.problems.push('ADMIN_USERNAME and ADMIN_PASSWORD must be set together');
  }

  const streamerUsername = r.raw('STREAMER_USERNAME');
  const streamerPassword = r.raw('STREAMER_PASSWORD');
  if ((streamerUsername === undefined) !== (streamerPassword === undefined)) {
    r.problems.push('STREAMER_USERNAME and STREAMER_PASSWORD must be set together');
  } else if (streamerUsername !== undefined && streamerPassword !== undefined && !demoMode) {
    // The ingest endpoint faces the internet; its only credential must resist guessing (the throttle
    // in http/auth/streamer-throttle.ts slows guessing, it does not make a weak secret strong).
    for (const problem of streamerPasswordProblems(streamerPassword, streamerUsername)) r.problems.push(`STREAMER_PASSWORD ${problem}`);
  }

  const webhookAllowedHosts = (r.raw('WEBHOOK_ALLOWED_HOSTS') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  r.problems.push(...allowedHostProblems(webhookAllowedHosts));

  const cleanupCron = r.raw('CLEANUP_CRON') ?? '0 2 * * *';
  if (!isCron(cleanupCron)) {
    r.problems.push(`CLEANUP_CRON must be a five-field cron expression, got "${cleanupCron}"`);
  }

  const jobsSchema = r.raw('JOBS_SCHEMA') ?? 'pgboss';
  if (!/^[a-z_][a-z0-9_]{0,49}$/.test(jobsSchema)) {
    r.problems.push(`JOBS_SCHEMA must be a lowercase SQL identifier (letters, digits, _; at most 50), got "${jobsSchema}"`);
  }

  const corsOrigins = (r.raw('CORS_ORIGINS') ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  for (const origin of corsOrigins) {
    try {
      const parsed = new URL(origin);
      if (parsed.origin !== origin) r.problems.push(`CORS_ORIGINS entry "${origin}" must be an exact origin like https://ops.example.com`);
    } catch {
      r.problems.push(`CORS_ORIGINS entry "${origin}" is not a valid origin`);
    }
  }

  const publicUrlRaw = r.url('PUBLIC_URL', ['http:', 'https:']);
  let publicUrl: string | undefined;
  const parsedPublicUrl = publicUrlRaw === undefined ? undefined : URL.parse(publicUrlRaw);
  if (parsedPublicUrl !== undefined && parsedPublicUrl !== null) {
    const parsed = parsedPublicUrl;
    if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') {
      r.problems.push('PUBLIC_URL must be a plain base URL like https://simfleet.example.com (no query, fragment or credentials)');
    }
    publicUrl = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  }

  const usageSource = r.oneOf('ONCE_USAGE_SOURCE', USAGE_SOURCES, 'auto');
  const usageV2Path = r.raw('ONCE_USAGE_V2_PATH');
  if (usageV2Path !== undefined && !/^\/v2\/[A-Za-z0-9_/{}.-]*\{iccid\}[A-Za-z0-9_/{}.-]*$/.test(usageV2Path)) {
    r.problems.push('ONCE_USAGE_V2_PATH must be a /v2/ path containing {iccid}, e.g. /v2/sims/{iccid}/usage');
  }
  if (usageSource === 'v2' && usageV2Path === undefined) r.problems.push('ONCE_USAGE_SOURCE=v2 needs ONCE_USAGE_V2_PATH');

  const config: Config = {
    port: r.int('PORT', 8000, 0, 65535),
    host: r.raw('HOST') ?? '0.0.0.0',
    role: r.oneOf('ROLE', ROLES, 'all'),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576),
    trustProxy: r.bool('TRUST_PROXY', false),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    corsOrigins,
    publicUrl,
    dataDir: r.raw('DATA_DIR') ?? './data',
    consoleDir: r.raw('CONSOLE_DIR'),
    databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePoolMax: r.int('DATABASE_POOL_MAX', 10, 1, 500),
    redisUrl: r.url('REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: r.raw('REDIS_PREFIX') ?? 'simfleet:',
    demoMode,
    jwtSecret,
    encryptionKey,
    accessTokenTtlMinutes: r.int('ACCESS_TOKEN_TTL_MINUTES', 15, 1, 24 * 60),
    refreshTokenTtlDays: r.int('REFRESH_TOKEN_TTL_DAYS', 30, 1, 365),
    apiRateLimitRps: r.int('API_RATE_LIMIT_RPS', 100, 1, 100_000),
    live: {
      streamsPerUser: r.int('LIVE_STREAMS_PER_USER', 10, 1, 1_000),
      heartbeatSeconds: r.int('LIVE_HEARTBEAT_SECONDS', 15, 1, 300),
    },
    admin: { username: adminUsername, password: adminPassword },
    provider: {
      apiUrl: r.url('ONCE_API_URL', ['http:', 'https:']) ?? 'https://api.1nce.com/management-api',
      clientId,
      clientSecret,
      timeoutMs: r.int('ONCE_TIMEOUT_MS', 15_000, 100, 300_000),
      usageSource,
      usageV2Path,
    },
    schedules: {
      syncSimsMinutes: r.int('SYNC_SIMS_INTERVAL_MINUTES', 15, 1, 24 * 60),
      syncUsageMinutes: r.int('SYNC_USAGE_INTERVAL_MINUTES', 60, 1, 24 * 60),
      checkQuotasMinutes: r.int('CHECK_QUOTAS_INTERVAL_MINUTES', 30, 1, 24 * 60),
      cleanupCron,
    },
    jobsSchema,
    jobLeaseSeconds: r.int('JOB_LEASE_SECONDS', 30, 3, 3600),
    retention: {
      usageDays: r.optionalInt('USAGE_RETENTION_DAYS', 1, 36_500),
      eventDays: r.optionalInt('EVENT_RETENTION_DAYS', 1, 36_500),
    },
    streamer: { username: streamerUsername, password: streamerPassword },
    webhooks: { allowedHosts: webhookAllowedHosts, allowPrivate: r.bool('WEBHOOK_ALLOW_PRIVATE', false) },
    simulator: {
      port: r.int('SIMULATOR_PORT', 8900, 0, 65535),
      fleetSize: r.int('SIMULATOR_FLEET_SIZE', 1000, 0, 1_000_000),
      seed: r.int('SIMULATOR_SEED', 1, 0, 2 ** 31 - 1),
      clientId: r.raw('SIMULATOR_CLIENT_ID') ?? 'demo',
      clientSecret: r.raw('SIMULATOR_CLIENT_SECRET') ?? 'demo-secret',
      mode: r.oneOf('SIMULATOR_MODE', SIMULATOR_MODES, 'observed'),
      simsRps: r.int('SIMULATOR_SIMS_RPS', 10, 1, 100_000),
      v1Retired: r.bool('SIMULATOR_V1_RETIRED', false),
    },
  };

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** Loads `.env` from the working directory into the process environment when the file exists (never overriding). */
export function loadDotEnv(file = '.env'): void {
  try {
    process.loadEnvFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** How the operator CLI and the stdio MCP bridge reach a running platform (docs/cli.md, docs/mcp.md). */
export interface ClientConfig {
  /** `SIMFLEET_URL`: the platform's origin (default http://127.0.0.1:8000). */
  url: URL;
  /** `SIMFLEET_API_KEY`: sent as X-API-Key. */
  apiKey: string | undefined;
  /** `SIMFLEET_TOKEN`: an access token sent as Authorization: Bearer (when no API key is set). */
  token: string | undefined;
}

/** Parses the client variables; throws a ConfigError naming each bad one. Credentials are optional here: commands ask for them. */
export function loadClientConfig(env: Env = process.env): ClientConfig {
  const problems: string[] = [];
  const text = env.SIMFLEET_URL?.trim() || 'http://127.0.0.1:8000';
  let url = new URL('http://127.0.0.1:8000');
  try {
    url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push('SIMFLEET_URL must be an http(s) URL');
  } catch {
    problems.push('SIMFLEET_URL is not a URL');
  }
  const apiKey = env.SIMFLEET_API_KEY?.trim() || undefined;
  const token = env.SIMFLEET_TOKEN?.trim() || undefined;
  for (const [name, value] of [['SIMFLEET_API_KEY', apiKey], ['SIMFLEET_TOKEN', token]] as const) {
    if (value !== undefined && !/^[\x21-\x7e]{1,4096}$/.test(value)) problems.push(`${name} must be printable ASCII without spaces`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { url, apiKey, token };
}
