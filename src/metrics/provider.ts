/**
 * Prometheus instruments of the 1NCE client. `src/metrics.ts` calls `createProviderMetrics(registry)`
 * once; the client only records into what it is given and imports only the `ProviderMetrics` type
 * from here (this file imports nothing of the project, so no import cycle can pass through it).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ProviderMetrics {
  /** Completed HTTP exchanges with 1NCE by client operation and HTTP status (`error` when no response). */
  requests: Counter<'operation' | 'status'>;
  requestDuration: Histogram<'operation'>;
  /** Retries by reason: rate_limited, server_error, network, timeout, bad_response, unauthorized. */
  retries: Counter<'operation' | 'reason'>;
  /** 429 answers received from 1NCE per endpoint family (should stay at 0 when the governor is right). */
  rateLimited: Counter<'family'>;
  governorWait: Histogram<'family' | 'priority'>;
  /** Token endpoint calls by outcome: success, rejected, error. */
  tokenFetches: Counter<'outcome'>;
  /** 1 while a 1NCE operation is retired for an account (v1 after 2026-12-31). */
  retired: Gauge<'account' | 'operation'>;
  /** Calls answered locally because their 1NCE operation is retired. */
  refused: Counter<'operation'>;
}

/** Registers the provider metrics on `registry` and returns them. */
export function createProviderMetrics(registry: Registry): ProviderMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'simfleet_provider_requests_total',
      help: 'HTTP requests sent to 1NCE, by client operation and HTTP status',
      labelNames: ['operation', 'status'],
      registers,
    }),
    requestDuration: new Histogram({
      name: 'simfleet_provider_request_duration_seconds',
      help: 'Duration of one HTTP exchange with 1NCE (excludes governor wait)',
      labelNames: ['operation'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    retries: new Counter({
      name: 'simfleet_provider_retries_total',
      help: 'Retried 1NCE calls, by operation and reason',
      labelNames: ['operation', 'reason'],
      registers,
    }),
    rateLimited: new Counter({
      name: 'simfleet_provider_rate_limited_total',
      help: '429 responses received from 1NCE, by endpoint family',
      labelNames: ['family'],
      registers,
    }),
    governorWait: new Histogram({
      name: 'simfleet_provider_governor_wait_seconds',
      help: 'Time a call waited for the rate governor before being sent',
      labelNames: ['family', 'priority'],
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    tokenFetches: new Counter({
      name: 'simfleet_provider_token_fetches_total',
      help: 'Calls to the 1NCE token endpoint, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    retired: new Gauge({
      name: 'simfleet_provider_operation_retired',
      help: '1 while a 1NCE operation is retired (gone) for a provider account',
      labelNames: ['account', 'operation'],
      registers,
    }),
    refused: new Counter({
      name: 'simfleet_provider_retired_calls_total',
      help: 'Calls answered locally because their 1NCE operation is retired, by operation',
      labelNames: ['operation'],
      registers,
    }),
  };
}
