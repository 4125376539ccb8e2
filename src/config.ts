/**
 * The one place that reads the environment. `loadConfig(env)` parses every variable once,
 * collects every problem, and throws a single `ConfigError` listing all of them, so an operator
 * fixes a broken deployment in one pass instead of one restart per typo.
 */

import { passwordProblems } from './modules/users/password-policy.js';
import { allowedHostProblems } from './modules/webhooks/webhook-target.js';
import { ConfigError, createReader, type Env } from './config.reader.js';

export { ConfigError, FILE_VARIABLES } from './config.reader.js';
import { parseClientConfig, type ClientConfig } from './config.client.js';

export type { ClientConfig } from './config.client.js';

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
  /**
   * Data Streamer credentials, and the bytes of batch bodies one process holds at once
   * (`STREAM_INFLIGHT_LIMIT_BYTES`): past it a batch is answered 503 with Retry-After and 1NCE sends it again.
   */
  streamer: { username: string | undefined; password: string | undefined; inflightLimitBytes: number };
  /** Webhook receivers allowed besides public addresses (SSRF protection, modules/webhooks/webhook-target.ts). */
  webhooks: { allowedHosts: string[]; allowPrivate: boolean };
  simulator: SimulatorConfig;
}

/** Thrown by `loadConfig` with every problem found, one per line. */
const ROLES: readonly Role[] = ['api', 'worker', 'all'];
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const SIMULATOR_MODES: readonly SimulatorMode[] = ['observed', 'spec'];
const USAGE_SOURCES: readonly UsageSource[] = ['auto', 'v1', 'v2', 'streamer'];

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
    streamer: {
      username: streamerUsername,
      password: streamerPassword,
      inflightLimitBytes: r.int('STREAM_INFLIGHT_LIMIT_BYTES', 32 * 1_048_576, 1_048_576, 1_024 * 1_048_576),
    },
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

/** The operator CLI's and the stdio MCP bridge's variables (config.client.ts); throws a ConfigError naming each bad one. */
export function loadClientConfig(env: Env = process.env): ClientConfig {
  return parseClientConfig(env);
}
