import cronParser from 'cron-parser';
import { Conflict, NotFound, ServiceUnavailable } from '../errors.js';
import { providerOperationsReport } from '../provider/availability.js';
import { isoOrNull as iso } from '../lib/time.js';
import { DEFAULT_LIMITS } from '../provider/governor.js';
import type { JobEngine } from './engine.js';
import type { JobRunRow } from './job-runs.repo.js';
import type { JobStatusDto, RunDto, SweepAccountDto, SweepStatusDto } from './scheduler.schemas.js';
import type { SweepProgressRepo, SweepProgressRow } from './sweep-progress.repo.js';

type ProviderOperationsSource = Parameters<typeof providerOperationsReport>[0];
type ProviderOperationsReport = Awaited<ReturnType<typeof providerOperationsReport>>;

/** Failures shown per job, and how far back. */
const RECENT_FAILURES = 5;
const FAILURE_WINDOW_MS = 24 * 60 * 60 * 1000;

function toRunDto(r: JobRunRow): RunDto {
  return {
    id: r.id,
    job_id: r.job_id,
    attempt: r.attempt,
    started_at: iso(r.started_at)!,
    finished_at: iso(r.finished_at),
    duration_ms: r.duration_ms,
    outcome: r.outcome,
    items: r.items,
    error: r.error,
    worker_id: r.worker_id,
  };
}

/** List pages 1NCE serves per second (its SIM family limit). */
const LIST_PAGES_PER_SECOND = DEFAULT_LIMITS.sims.limit / (DEFAULT_LIMITS.sims.windowMs / 1000);

/**
 * The sweep's mode: continuous when any account's pass (its last one, or the minimum its page count
 * allows) takes longer than the schedule interval - the stately queue then starts the next pass as
 * soon as one ends, each resumable where it stopped.
 */
export function sweepStatus(rows: SweepProgressRow[], intervalSeconds: number): SweepStatusDto {
  const accounts = rows.map((r): SweepAccountDto => ({
    account_id: r.account_id,
    pass_under_way: r.pass_started_at !== null,
    next_page: r.next_page,
    total_pages: r.total_pages,
    pass_started_at: iso(r.pass_started_at),
    last_pass_completed_at: iso(r.last_pass_completed_at),
    last_pass_seconds: r.last_pass_seconds === null ? null : Math.round(r.last_pass_seconds * 10) / 10,
    last_pass_pages: r.last_pass_pages,
    minimum_pass_seconds: r.total_pages === null ? null : Math.ceil(r.total_pages / LIST_PAGES_PER_SECOND),
  }));
  const longest = Math.max(0, ...accounts.map((a) => Math.max(a.last_pass_seconds ?? 0, a.minimum_pass_seconds ?? 0)));
  const continuous = longest > intervalSeconds;
  const minutes = Math.round(intervalSeconds / 60);
  const detail = continuous
    ? `A full pass takes about ${Math.round(longest)} s, longer than the ${minutes}-minute schedule: passes run back to back, ` +
      'each resuming where the last stopped; the Data Streamer carries freshness between passes.'
    : `Each pass fits in the ${minutes}-minute schedule${accounts.length > 0 ? ` (longest about ${Math.round(longest)} s)` : ''}; ` +
      'a pass that stops part-way resumes where it stopped.';
  return { mode: continuous ? 'continuous' : 'scheduled', interval_seconds: intervalSeconds, detail, accounts };
}

/** Next UTC tick of a cron expression after `now`. */
export function nextRun(cron: string, now: Date): Date {
  return cronParser.parseExpression(cron, { currentDate: now, tz: 'UTC' }).next().toDate();
}

/** The scheduler API over the job engine and our job_runs table. */
export function createSchedulerService(deps: {
  jobs: JobEngine;
  provider: ProviderOperationsSource;
  sweeps: Pick<SweepProgressRepo, 'list'>;
  /** The sync-sims schedule interval as scheduled (SYNC_SIMS_INTERVAL_MINUTES, rounded to a cron). */
  syncIntervalMinutes: number;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return {
    async status(): Promise<{ worker_id: string; provider: ProviderOperationsReport; engine_started: boolean; sweep: SweepStatusDto; jobs: JobStatusDto[] }> {
      const defs = deps.jobs.definitions();
      const latest = await deps.jobs.runs.latest(defs.map((d) => d.name));
      const since = new Date(now().getTime() - FAILURE_WINDOW_MS);
      const jobs = await Promise.all(
        defs.map(async (def): Promise<JobStatusDto> => {
          const last = latest.get(def.name);
          return {
            name: def.name,
            cron: def.schedule?.cron ?? null,
            next_run_at: def.schedule === undefined ? null : nextRun(def.schedule.cron, now()).toISOString(),
            last_run: last === undefined ? null : toRunDto(last),
            queue_depth: deps.jobs.started ? await deps.jobs.queueSize(def.name) : null,
            recent_failures: (await deps.jobs.runs.recentFailures(def.name, since, RECENT_FAILURES)).map(toRunDto),
          };
        }),
      );
      const provider = await providerOperationsReport(deps.provider);
      const sweep = sweepStatus(await deps.sweeps.list(), deps.syncIntervalMinutes * 60);
      return { worker_id: deps.jobs.workerId, provider, engine_started: deps.jobs.started, sweep, jobs };
    },

    /** Queues a run now (admin); 409 when one is already queued for a scheduled job. */
    async runNow(name: string): Promise<{ job_id: string; name: string }> {
      if (!deps.jobs.definitions().some((d) => d.name === name)) throw new NotFound('job', name);
      if (!deps.jobs.started) throw new ServiceUnavailable('The job engine is not running in this process', 'jobs_unavailable');
      const id = await deps.jobs.send(name, { manual: true });
      if (id === null) throw new Conflict(`A run of ${name} is already queued`, 'job_already_queued');
      return { job_id: id, name };
    },

    /** Recent runs of one job. */
    async runs(name: string, limit: number): Promise<RunDto[]> {
      if (!deps.jobs.definitions().some((d) => d.name === name)) throw new NotFound('job', name);
      return (await deps.jobs.runs.list(name, limit)).map(toRunDto);
    },
  };
}

export type SchedulerService = ReturnType<typeof createSchedulerService>;
