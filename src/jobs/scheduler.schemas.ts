import { Type } from 'typebox';

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

export const SchedulerStatusSchema = Type.Object({
  worker_id: Type.String({ description: 'The answering process' }),
  engine_started: Type.Boolean(),
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
