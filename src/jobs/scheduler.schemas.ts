import { Type, type Static } from 'typebox';

/** Response schemas of the scheduler routes. */

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableInt = Type.Union([Type.Integer(), Type.Null()]);

export const RunSchema = Type.Object({
  id: Type.Integer(),
  job_id: NullableString,
  attempt: NullableInt,
  started_at: Type.String({ format: 'date-time' }),
  finished_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  duration_ms: NullableInt,
  outcome: Type.Union([Type.Literal('running'), Type.Literal('success'), Type.Literal('failure')]),
  items: NullableInt,
  error: NullableString,
  worker_id: NullableString,
});

/** 1NCE operations this installation found retired (Management API v1 after 2026-12-31) and the usage source. */
export const ProviderOperationsSchema = Type.Object({
  usage_source: Type.String({ description: 'ONCE_USAGE_SOURCE: auto | v1 | v2 | streamer' }),
  usage_v2_path: Type.Union([Type.String(), Type.Null()], { description: 'ONCE_USAGE_V2_PATH, when configured' }),
  retired_operations: Type.Array(
    Type.Object({
      account_id: Type.String(),
      operation: Type.String({ description: 'Client operation, e.g. getUsage' }),
      path: Type.String({ description: 'The 1NCE path that answered it is gone' }),
      since: Type.String({ format: 'date-time' }),
      checked_at: Type.String({ format: 'date-time', description: 'Last confirmation; re-checked with one call a day' }),
      effect: Type.String({ description: 'What the platform does instead' }),
    }),
  ),
});

const NullableDateTime = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

/** How the list sweep keeps up with the fleet (resumable passes; continuous when a pass outlasts the schedule). */
export const SweepStatusSchema = Type.Object({
  mode: Type.Union([Type.Literal('scheduled'), Type.Literal('continuous')], {
    description: 'continuous: a full pass takes longer than the schedule interval, so passes run back to back',
  }),
  interval_seconds: Type.Integer({ description: 'The sync-sims schedule interval' }),
  detail: Type.String(),
  accounts: Type.Array(
    Type.Object({
      account_id: Type.String(),
      pass_under_way: Type.Boolean({ description: 'A pass is running or stopped part-way; the next run continues at next_page' }),
      next_page: Type.Integer({ minimum: 1 }),
      total_pages: NullableInt,
      pass_started_at: NullableDateTime,
      last_pass_completed_at: NullableDateTime,
      last_pass_seconds: Type.Union([Type.Number(), Type.Null()]),
      last_pass_pages: NullableInt,
      minimum_pass_seconds: Type.Union([Type.Integer({ description: "total_pages at 1NCE's list rate (10 requests/s)" }), Type.Null()]),
    }),
  ),
});

export const SchedulerStatusSchema = Type.Object({
  worker_id: Type.String({ description: 'The answering process' }),
  provider: ProviderOperationsSchema,
  engine_started: Type.Boolean(),
  sweep: SweepStatusSchema,
  jobs: Type.Array(
    Type.Object({
      name: Type.String(),
      cron: Type.Union([Type.String({ description: 'UTC cron expression' }), Type.Null()]),
      next_run_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      last_run: Type.Union([RunSchema, Type.Null()]),
      queue_depth: Type.Union([Type.Integer({ description: 'Jobs queued or waiting to retry' }), Type.Null()]),
      recent_failures: Type.Array(RunSchema, { description: 'Failed runs in the last 24 hours, newest first (at most 5)' }),
    }),
  ),
});

export const JobNameParams = Type.Object({ name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }) });

export const RunNowSchema = Type.Object({ job_id: Type.String(), name: Type.String() });

export const RunsQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })) }, { additionalProperties: false });

/** One run as the scheduler API shows it. */
export type RunDto = Static<typeof RunSchema>;
/** How the list sweep keeps up with the fleet, in `GET /scheduler/status`. */
export type SweepStatusDto = Static<typeof SweepStatusSchema>;
/** One account's list sweep in `GET /scheduler/status`. */
export type SweepAccountDto = SweepStatusDto['accounts'][number];
/** One job in `GET /scheduler/status`. */
export type JobStatusDto = Static<typeof SchedulerStatusSchema>['jobs'][number];
