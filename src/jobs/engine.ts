import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Role } from '../config.js';
import type { Database } from '../db/client.js';
import type { BackgroundMetrics } from '../metrics/background.js';
import { createJobRunsRepo, type JobRunsRepo } from './job-runs.repo.js';
import { createPgBossDb } from './pg-boss-db.js';
import { withSessionLock } from '../db/locks.js';
import { sanitizeText } from '../lib/text.js';
import { sql } from 'kysely';

/** A schema name as a quoted SQL identifier (config validates it as lowercase letters, digits and _). */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** What a handler gets besides its data. */
export interface JobContext {
  jobId: string;
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
  /** Aborted when the engine stops or the job's expiry passes: stop at the next safe point. */
  signal: AbortSignal;
  logger: Logger;
}

/** How the queue treats several jobs of the same name (pg-boss queue policies). */
export type QueuePolicy = 'standard' | 'singleton' | 'stately';

/** One kind of background job. Job files export a factory `(deps) => JobDefinition`. */
export interface JobDefinition<T = unknown> {
  /** Queue name, e.g. 'sync-sims'. Lowercase letters, digits and hyphens. */
  name: string;
  handler(data: T, ctx: JobContext): Promise<{ items?: number } | void>;
  retryLimit?: number;
  retryDelaySeconds?: number;
  /**
   * Longest a run may take (pg-boss expiry; the handler's signal aborts then). A run whose worker
   * dies is taken over much sooner: see the engine's `leaseSeconds`.
   */
  expireInSeconds?: number;
  /** Scheduled jobs: exactly one run per tick across every replica (UTC cron, minute resolution). */
  schedule?: { cron: string };
  /**
   * Default 'stately' for scheduled jobs (at most one queued and one running: ticks that arrive
   * while a run is still queued coalesce) and 'standard' otherwise.
   */
  policy?: QueuePolicy;
}

/** Options of a single `send`. */
export interface SendOptions {
  /** At most one queued job per key (pg-boss singleton key). */
  singletonKey?: string;
  startAfter?: Date;
  /** Higher runs first. */
  priority?: number;
}

/** The background job engine (`deps.jobs`). */
export interface JobEngine {
  /** Adds a job kind; call before `start()`. */
  register<T>(def: JobDefinition<T>): void;
  /** Queues a job; resolves to its id, or null when a singleton/stately rule suppressed it. */
  send<T>(name: string, data: T, options?: SendOptions): Promise<string | null>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Registered definitions, in registration order. */
  definitions(): readonly JobDefinition[];
  /** Jobs waiting to run (created or retry). */
  queueSize(name: string): Promise<number>;
  readonly started: boolean;
  /** This process's worker id, recorded on every run. */
  readonly workerId: string;
  readonly runs: JobRunsRepo;
}

export interface JobEngineOptions {
  database: Database;
  logger: Logger;
  metrics: BackgroundMetrics['jobs'];
  /** 'api' only sends; 'worker' and 'all' also run handlers, schedules and maintenance. */
  role: Role;
  /** PostgreSQL schema of the engine's own tables. */
  schema: string;
  workerId?: string;
  /** How often an idle worker polls its queue (default 2 s). */
  pollingIntervalSeconds?: number;
  /**
   * A running job renews its lease every third of this (default 30 s); when its worker dies the
   * renewals stop and the engine's maintenance fails the job over to a live worker after this.
   */
  leaseSeconds?: number;
  /** How often expired jobs and lapsed leases are failed over to retry (default half the lease). */
  maintenanceIntervalSeconds?: number;
  /** How often schedules are evaluated (default 30 s; a tick is sent within this of its minute). */
  cronMonitorIntervalSeconds?: number;
  /** Longest a graceful stop waits for running handlers before failing them for retry. */
  stopTimeoutMs?: number;
}

const NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/** Defaults that keep a lost run from blocking its queue for long, but never cut a sweep short. */
const DEFAULT_EXPIRE_SECONDS = 15 * 60;
const DEFAULT_RETRY_LIMIT = 3;
const DEFAULT_RETRY_DELAY_SECONDS = 30;
const DEFAULT_LEASE_SECONDS = 30;

/** A worker id that tells an operator which machine and process ran a job. */
export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** Longest error text kept for a failed run (pg-boss's job output and our job_runs row). */
const MAX_ERROR_TEXT = 2_000;

/** An error's message made storable: PostgreSQL refuses NUL in text and `\u0000` in jsonb. */
function errorText(error: unknown): string {
  return sanitizeText(error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_TEXT);
}

/**
 * What pg-boss records for a failed run: a plain error with a clean message and stack. pg-boss
 * serialises every own property of the error it is given into jsonb (a driver error carries the
 * failed query's parameters, 1NCE's data included); one NUL there made that write fail, and pg-boss
 * does not await it, so the rejection was unhandled and took the process down (issue 10, item 6).
 */
function storableError(error: unknown): Error {
  const clean = new Error(errorText(error));
  if (error instanceof Error) {
    clean.name = sanitizeText(error.name).slice(0, 100);
    clean.stack = sanitizeText(error.stack ?? '').slice(0, MAX_ERROR_TEXT * 4);
  }
  return clean;
}

/**
 * The job engine: pg-boss on our own database (the `pg` pool, or embedded PGlite through the
 * single-connection adapter). Schedules are pg-boss cron schedules: every replica upserts them,
 * pg-boss's timekeeper evaluates them on one instance per interval and sends each tick as a
 * singleton, so a tick runs exactly once however many workers are up. A run whose worker dies stays
 * active until its expiry; maintenance then fails it and it is retried by any live worker.
 */
export function createJobEngine(options: JobEngineOptions): JobEngine {
  const { database, logger, metrics, role } = options;
  const workerId = options.workerId ?? defaultWorkerId();
  const runs = createJobRunsRepo(database.db);
  const defs = new Map<string, JobDefinition>();
  const active = new Set<AbortController>();
  const works = role !== 'api';
  const leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  const jobTable = sql.raw(`${quoteIdentifier(options.schema)}.job`);
  let boss: PgBoss | undefined;
  let started = false;
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  const createBoss = () =>
    new PgBoss({
      db: createPgBossDb(database),
      schema: options.schema,
      migrate: true,
      supervise: works,
      schedule: works,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? Math.max(1, Math.min(60, Math.round(leaseSeconds / 2))),
      cronMonitorIntervalSeconds: options.cronMonitorIntervalSeconds ?? 30,
      cronWorkerIntervalSeconds: Math.min(5, options.cronMonitorIntervalSeconds ?? 5),
      clockMonitorIntervalSeconds: 600,
    });

  /**
   * Installing pg-boss's schema and creating queues (each a partition table) are DDL; replicas
   * starting together deadlock or collide on catalog keys doing that concurrently. Both run under
   * one session advisory lock per engine schema, held on a connection of its own (withSessionLock;
   * a no-op on PGlite, which is one process with one connection).
   */
  const withSetupLock = (fn: () => Promise<void>) => withSessionLock(database, `jobs.setup.${options.schema}`, fn);

  /**
   * Renews a running job's lease: moves pg-boss's deadline for it (`started_on + expire_in`, which
   * its maintenance compares with now()) to now + leaseSeconds. False when the job is no longer
   * active here (its lease lapsed and it was failed over, or it was deleted).
   */
  const renewLease = async (name: string, id: string): Promise<boolean> => {
    const result = await sql`
      update ${jobTable} set started_on = now() - expire_in + make_interval(secs => ${leaseSeconds})
       where name = ${name} and id = ${id}::uuid and state = 'active'
    `.execute(database.db);
    return (result.numAffectedRows ?? 0n) > 0n;
  };

  /**
   * Keeps a run's lease while it works, every third of the lease. A lost lease (the engine already
   * handed the job to another worker, e.g. after this process stalled) aborts the run, so two
   * workers never carry on with the same job; a failed renewal (database briefly away) is retried.
   */
  const keepLease = (def: JobDefinition, jobId: string, controller: AbortController, jobLogger: Logger) => {
    const state = { lost: false, stop: () => clearInterval(timer) };
    const timer = setInterval(() => {
      renewLease(def.name, jobId).then(
        (held) => {
          if (held || controller.signal.aborted) return;
          state.lost = true;
          jobLogger.warn('job lease lost: another worker has taken the job over; stopping this run');
          controller.abort(new Error('job lease lost'));
        },
        (error: unknown) => jobLogger.warn({ err: error }, 'could not renew the job lease; retrying'),
      );
    }, Math.max(500, (leaseSeconds * 1000) / 3));
    timer.unref();
    return state;
  };

  /**
   * After a lost lease pg-boss still completes or fails the job by id when this run returns, which
   * would end the run that took it over. So a run that lost its lease waits until that other run is
   * no longer active (bounded by the job's expiry), then fails: a fail on a job waiting for its
   * retry changes nothing, and one on a finished job is ignored.
   */
  const waitForTakeOver = async (name: string, id: string, untilMs: number) => {
    while (Date.now() < untilMs) {
      const row = await sql<{ state: string }>`select state from ${jobTable} where name = ${name} and id = ${id}::uuid`.execute(database.db);
      if (row.rows[0]?.state !== 'active') return;
      await new Promise((resolve) => setTimeout(resolve, Math.max(500, (leaseSeconds * 1000) / 3)));
    }
  };

  const runHandler = async (def: JobDefinition, job: PgBoss.JobWithMetadata<unknown>) => {
    const attempt = job.retryCount + 1;
    const jobLogger = logger.child({ job: def.name, job_id: job.id, attempt });
    // First thing: until now the job's deadline is its full expiry; from here it is the lease.
    await renewLease(def.name, job.id).catch((error: unknown) => jobLogger.warn({ err: error }, 'could not take the job lease'));
    const runId = await runs.start({ jobName: def.name, jobId: job.id, attempt, workerId });
    const controller = new AbortController();
    active.add(controller);
    const lease = keepLease(def, job.id, controller, jobLogger);
    const expiresAt = Date.now() + job.expireInSeconds * 1000;
    // pg-boss stops waiting for a handler at its expiry; tell the handler too so it stops writing.
    const expiry = setTimeout(() => controller.abort(new Error('job expired')), job.expireInSeconds * 1000);
    const startedAt = performance.now();
    try {
      const result = await def.handler(job.data, {
        jobId: job.id,
        attempt,
        signal: controller.signal,
        logger: jobLogger,
      });
      const seconds = (performance.now() - startedAt) / 1000;
      const items = result === undefined ? undefined : result.items;
      if (lease.lost) throw new Error('job lease lost: another worker took the job over');
      await runs.finish(runId, { outcome: 'success', durationMs: seconds * 1000, items });
      metrics.runs.inc({ job: def.name, outcome: 'success' });
      metrics.duration.observe({ job: def.name, outcome: 'success' }, seconds);
      if (items !== undefined) metrics.items.inc({ job: def.name }, items);
      jobLogger.info({ ms: Math.round(seconds * 1000), items }, 'job finished');
      return result ?? undefined;
    } catch (error) {
      const seconds = (performance.now() - startedAt) / 1000;
      await runs
        .finish(runId, { outcome: 'failure', durationMs: seconds * 1000, error: errorText(error) })
        .catch((e: unknown) => {
          jobLogger.error({ err: e }, 'could not record the failed job run');
        });
      metrics.runs.inc({ job: def.name, outcome: 'failure' });
      metrics.failures.inc({ job: def.name });
      metrics.duration.observe({ job: def.name, outcome: 'failure' }, seconds);
      jobLogger.error({ err: error, ms: Math.round(seconds * 1000) }, 'job failed');
      if (lease.lost) {
        lease.stop();
        await waitForTakeOver(def.name, job.id, expiresAt).catch(() => undefined);
      }
      throw storableError(error);
    } finally {
      lease.stop();
      clearTimeout(expiry);
      active.delete(controller);
    }
  };

  const start = async () => {
    const b = createBoss();
    b.on('error', (error) => logger.error({ err: error }, 'job engine error'));
    await withSetupLock(async () => {
      await b.start();
      for (const def of defs.values()) {
        const queue: PgBoss.Queue = {
          name: def.name,
          policy: def.policy ?? (def.schedule === undefined ? 'standard' : 'stately'),
          retryLimit: def.retryLimit ?? DEFAULT_RETRY_LIMIT,
          retryDelay: def.retryDelaySeconds ?? DEFAULT_RETRY_DELAY_SECONDS,
          retryBackoff: true,
          expireInSeconds: def.expireInSeconds ?? DEFAULT_EXPIRE_SECONDS,
        };
        await b.createQueue(def.name, queue);
        // createQueue keeps an existing queue's options; apply changed retry/expiry settings too.
        await b.updateQueue(def.name, queue);
      }
    });
    if (works) {
      for (const def of defs.values()) {
        await b.work<unknown>(
          def.name,
          {
            includeMetadata: true,
            batchSize: 1,
            pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2,
          },
          async ([job]) => (job === undefined ? undefined : runHandler(def, job)),
        );
        if (def.schedule !== undefined) {
          await b.schedule(def.name, def.schedule.cron, {}, { tz: 'UTC' });
        } else {
          await b.unschedule(def.name);
        }
      }
    }
    boss = b;
    started = true;
    logger.info(
      { role, worker_id: workerId, jobs: [...defs.keys()], schema: options.schema },
      works ? 'job engine started' : 'job engine started (send only)',
    );
  };

  return {
    register<T>(def: JobDefinition<T>) {
      if (started || starting !== undefined)
        throw new Error(`register job "${def.name}" before the engine starts`);
      if (!NAME_PATTERN.test(def.name))
        throw new Error(`job name "${def.name}" must be lowercase letters, digits and hyphens`);
      if (defs.has(def.name)) throw new Error(`job "${def.name}" is registered twice`);
      defs.set(def.name, def);
    },

    async send<T>(name: string, data: T, sendOptions: SendOptions = {}) {
      if (boss === undefined) throw new Error('the job engine is not started');
      if (!defs.has(name)) throw new Error(`unknown job "${name}"`);
      return boss.send(name, data ?? {}, {
        ...(sendOptions.singletonKey !== undefined && { singletonKey: sendOptions.singletonKey }),
        ...(sendOptions.startAfter !== undefined && { startAfter: sendOptions.startAfter }),
        ...(sendOptions.priority !== undefined && { priority: sendOptions.priority }),
      });
    },

    start() {
      starting ??= start();
      return starting;
    },

    stop() {
      stopping ??= (async () => {
        if (starting !== undefined) await starting.catch(() => undefined);
        const b = boss;
        if (b === undefined) return;
        // Handlers stop at their next safe point; an interrupted run is retried by another worker.
        for (const controller of active) controller.abort(new Error('job engine stopping'));
        await b.stop({ graceful: true, wait: true, close: false, timeout: options.stopTimeoutMs ?? 10_000 });
        boss = undefined;
        started = false;
        logger.info({ worker_id: workerId }, 'job engine stopped');
      })();
      return stopping;
    },

    definitions: () => [...defs.values()],

    async queueSize(name) {
      if (boss === undefined) throw new Error('the job engine is not started');
      return boss.getQueueSize(name);
    },

    get started() {
      return started;
    },
    workerId,
    runs,
  };
}
