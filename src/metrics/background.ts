import { Counter, Histogram, type Registry } from 'prom-client';

/** Job runs can take from milliseconds (cleanup on an empty table) to many minutes (a full sweep). */
const JOB_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800];

/**
 * Metrics of background work: job runs, Data Streamer ingest, webhook deliveries and alerts.
 * Registered on the platform registry by `src/metrics.ts`; the engine, streamer, webhooks and alerts
 * import only the `BackgroundMetrics` type from here (this file imports nothing of the project, so
 * no import cycle can pass through it).
 */
export function createBackgroundMetrics(registry: Registry) {
  const registers = [registry];
  return {
    jobs: {
      runs: new Counter({
        name: 'simfleet_job_runs_total',
        help: 'Background job runs by job name and outcome (success, failure)',
        labelNames: ['job', 'outcome'] as const,
        registers,
      }),
      failures: new Counter({
        name: 'simfleet_job_failures_total',
        help: 'Background job runs that failed, by job name',
        labelNames: ['job'] as const,
        registers,
      }),
      duration: new Histogram({
        name: 'simfleet_job_duration_seconds',
        help: 'Background job run duration by job name and outcome',
        labelNames: ['job', 'outcome'] as const,
        buckets: JOB_DURATION_BUCKETS,
        registers,
      }),
      items: new Counter({
        name: 'simfleet_job_items_processed_total',
        help: 'Items (SIMs, records, deliveries, rows) processed by background jobs, by job name',
        labelNames: ['job'] as const,
        registers,
      }),
    },
    streamer: {
      records: new Counter({
        name: 'simfleet_streamer_records_total',
        help: 'Data Streamer records received, by kind (usage, event) and result (stored, duplicate)',
        labelNames: ['kind', 'result'] as const,
        registers,
      }),
      batches: new Counter({
        name: 'simfleet_streamer_batches_total',
        help: 'Data Streamer POSTs by outcome (stored, rejected, busy: refused with 503 while STREAM_INFLIGHT_LIMIT_BYTES was in use)',
        labelNames: ['outcome'] as const,
        registers,
      }),
    },
    webhooks: {
      deliveries: new Counter({
        name: 'simfleet_webhook_deliveries_total',
        help: 'Webhook delivery attempts by outcome (delivered, failed, dead)',
        labelNames: ['outcome'] as const,
        registers,
      }),
    },
    alerts: {
      raised: new Counter({
        name: 'simfleet_alerts_raised_total',
        help: 'Alerts raised by metric and severity',
        labelNames: ['metric', 'severity'] as const,
        registers,
      }),
      autoTopups: new Counter({
        name: 'simfleet_auto_topups_total',
        help: 'Automatic top-ups by outcome (succeeded, failed, capped)',
        labelNames: ['outcome'] as const,
        registers,
      }),
    },
  };
}

export type BackgroundMetrics = ReturnType<typeof createBackgroundMetrics>;
