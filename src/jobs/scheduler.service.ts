import cronParser from 'cron-parser';
import { Conflict, NotFound, ServiceUnavailable } from '../errors.js';
import { providerOperationsReport } from '../provider/availability.js';
import type { JobEngine } from './engine.js';

type ProviderOperationsSource = Parameters<typeof providerOperationsReport>[0];
type ProviderOperationsReport = Awaited<ReturnType<typeof providerOperationsReport>>;
import type { JobRunRow } from './job-runs.repo.js';

/** Failures shown per job, and how far back. */
const RECENT_FAILURES = 5;
const FAILURE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** One run as the scheduler API shows it. */
export interface RunDto {
  id: number;
  job_id: string | null;
  attempt: number | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  outcome: 'running' | 'success' | 'failure';
  items: number | null;
  error: string | null;
  worker_id: string | null;
}

/** One job in `GET /scheduler/status`. */
export interface JobStatusDto {
  name: string;
  cron: string | null;
  next_run_at: string | null;
  last_run: RunDto | null;
  /** Jobs waiting to run (queued or waiting to retry); null when this process has no engine running. */
  queue_depth: number | null;
  recent_failures: RunDto[];
}

const iso = (d: unknown) => (d === null || d === undefined ? null : new Date(d as string | Date).toISOString());

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

/** Next UTC tick of a cron expression after `now`. */
export function nextRun(cron: string, now: Date): Date {
  return cronParser.parseExpression(cron, { currentDate: now, tz: 'UTC' }).next().toDate();
}

/** The scheduler API over the job engine and our job_runs table. */
export function createSchedulerService(deps: { jobs: JobEngine; provider: ProviderOperationsSource; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return {
    async status(): Promise<{ worker_id: string; provider: ProviderOperationsReport; engine_started: boolean; jobs: JobStatusDto[] }> {
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
      return { worker_id: deps.jobs.workerId, provider, engine_started: deps.jobs.started, jobs };
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
