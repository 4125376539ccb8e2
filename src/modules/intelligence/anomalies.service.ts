import { utcDay } from '../../lib/time.js';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Cache } from '../../cache.js';
import type { DB } from '../../db/schema.js';
import type { AlertRuleRow } from '../alerts/alerts.repo.js';
import type { AlertsService, AnomalyItem, RaisedAnomaly } from '../alerts/alerts.service.js';
import { anomalyParams, type AnomalyParams } from '../alerts/anomaly.params.js';
import type { AnomalyActions } from './anomaly-actions.js';
import { createAnomaliesRepo, type DetectorScope, type ObservationRow } from './anomalies.repo.js';
import { mib, silenceScore, spikeScore } from './anomaly.scores.js';

/** Where an evaluation came from (metric label). */
export type AnomalySource = 'sweep' | 'batch';

export interface AnomalyCounts {
  rules: number;
  candidates: number;
  raised: number;
  cleared: number;
  observed: number;
}

export interface AnomaliesServiceDeps {
  db: Kysely<DB>;
  alerts: Pick<AlertsService, 'anomalyRules' | 'applyAnomalyValues' | 'raiseAnomalyEvents'>;
  actions: Pick<AnomalyActions, 'run'>;
  cache: Pick<Cache, 'get' | 'set'>;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Records one evaluation's duration (seconds) and what it raised. */
  observed?: (source: AnomalySource, seconds: number, counts: AnomalyCounts) => void;
  now?: () => Date;
}

/** Peer baselines (a group's typical day moves slowly) are recomputed at most this often. */
const PEER_TTL_SECONDS = 3600;
/** A sweep also learns countries and operators from Data Streamer records this recent (a missed batch evaluation). */
const SWEEP_RECORDS_HOURS = 6;
/** A batch evaluation reads its SIMs' records this recent. */
const BATCH_RECORDS_HOURS = 48;

const KIND_OF = { device_change: 'imei', new_country: 'country', new_operator: 'operator' } as const;

/**
 * The anomaly detector: on every sweep (the whole fleet, 'check-quotas') and after every Data
 * Streamer batch or detail sync (the SIMs it touched), each enabled anomaly rule is evaluated with
 * one set-based statement, and its crossings go through the alerts module (hysteresis, lifecycle,
 * webhook and live events, metrics), then through the rule's opt-in automatic action.
 */
export function createAnomaliesService(deps: AnomaliesServiceDeps) {
  const repo = createAnomaliesRepo(deps.db);
  const now = deps.now ?? (() => new Date());

  const scopeOf = (rule: AlertRuleRow, simIds: number[] | undefined): DetectorScope => ({ scope: rule.scope, scopeValue: rule.scope_value, simIds });

  /** The rule's peer baselines: one aggregate over the window, shared through the cache for an hour (and per day). */
  async function peers(rule: AlertRuleRow, params: AnomalyParams, at: Date): Promise<Map<string, number>> {
    if (params.peer_group === 'none') return new Map();
    const key = `anomaly:peers:${rule.id}:${params.peer_group}:${params.baseline_days}:${utcDay(at.getTime())}`;
    const cached = await deps.cache.get<Array<[string, number]>>(key).catch(() => undefined);
    if (cached !== undefined) return new Map(cached);
    const computed = await repo.peerBaselines(params.peer_group, params, at);
    await deps.cache.set(key, [...computed], PEER_TTL_SECONDS).catch(() => undefined);
    return computed;
  }

  async function spikes(rule: AlertRuleRow, simIds: number[] | undefined, at: Date) {
    const params = anomalyParams(rule.params);
    const factor = Math.min(...rule.thresholds.map(Number));
    const rows = await repo.spikeCandidates(scopeOf(rule, simIds), rule.id, params, at);
    const peerRefs = rows.length === 0 ? new Map<string, number>() : await peers(rule, params, at);
    const items: AnomalyItem[] = rows.map((r) => {
      const peerReference = params.peer_group === 'none' ? undefined : peerRefs.get(repo.peerKeyOf(params.peer_group, r));
      const score = spikeScore(r, params, factor, peerReference);
      return {
        sim: r,
        value: score.value,
        message:
          `Usage spike: ${mib(r.value)} in a day, ${score.own ?? '?'}x the SIM's usual ${mib(score.reference ?? 0)}` +
          (score.peer === null ? '' : ` and ${score.peer}x its ${params.peer_group} peers' typical day`),
        data: { day_bytes: r.value, baseline_median_bytes: r.median, baseline_mad_bytes: r.mad, baseline_days: r.span, own_factor: score.own, peer_factor: score.peer, peer_group: params.peer_group, peer_day_bytes: peerReference ?? null },
      };
    });
    return { candidates: rows.length, ...(await deps.alerts.applyAnomalyValues(rule, items)) };
  }

  async function silences(rule: AlertRuleRow, simIds: number[] | undefined, at: Date) {
    const params = anomalyParams(rule.params);
    const minHours = Math.min(...rule.thresholds.map(Number));
    const rows = await repo.silenceCandidates(scopeOf(rule, simIds), rule.id, params, minHours, at);
    const items: AnomalyItem[] = rows.map((r) => {
      const score = silenceScore(r, params, minHours, at);
      return {
        sim: r,
        value: score.value,
        message: `Silent for ${Math.round(score.silentHours)} h since ${r.lastActiveDay} (it usually reports at least every ${r.maxGapDays * 24} h)`,
        data: { last_active_day: r.lastActiveDay, silent_hours: score.silentHours, limit_hours: score.limitHours, usual_gap_hours: r.maxGapDays * 24, active_days: r.activeDays, baseline_days: r.spanDays },
      };
    });
    return { candidates: rows.length, ...(await deps.alerts.applyAnomalyValues(rule, items)) };
  }

  function changes(rule: AlertRuleRow, observations: ObservationRow[]): AnomalyItem[] {
    const kind = KIND_OF[rule.metric as keyof typeof KIND_OF];
    const bySim = new Map<number, ObservationRow[]>();
    for (const o of observations) if (o.kind === kind) bySim.set(o.id, [...(bySim.get(o.id) ?? []), o]);
    return [...bySim.values()].map((list) => {
      const first = list[0]!;
      const values = list.map((o) => o.value);
      const label = kind === 'imei' ? 'IMEI' : kind;
      return {
        sim: first,
        value: 1,
        message: `New ${label} ${values.join(', ')} (seen before: ${first.previous.slice(0, 3).join(', ')})`,
        data: { kind, new_values: values, previous_values: first.previous.slice(0, 10) },
      };
    });
  }

  async function evaluate(simIds: number[] | undefined, source: AnomalySource): Promise<AnomalyCounts> {
    const started = performance.now();
    const at = now();
    const sweep = source === 'sweep';
    const counts: AnomalyCounts = { rules: 0, candidates: 0, raised: 0, cleared: 0, observed: 0 };
    const rules = await deps.alerts.anomalyRules();
    // Observed values are learned whether or not a change rule is enabled, so enabling one later has a baseline.
    const since = new Date(at.getTime() - (sweep ? SWEEP_RECORDS_HOURS : BATCH_RECORDS_HOURS) * 3_600_000);
    const observations = await repo.observe({ simIds }, since);
    counts.observed = observations.length;
    for (const rule of rules) {
      counts.rules += 1;
      let raised: RaisedAnomaly[] = [];
      try {
        switch (rule.metric) {
          case 'usage_spike':
          case 'silence_hours': {
            const result = rule.metric === 'usage_spike' ? await spikes(rule, simIds, at) : await silences(rule, simIds, at);
            counts.candidates += result.candidates;
            counts.cleared += result.cleared;
            raised = result.raised;
            break;
          }
          case 'device_change':
          case 'new_country':
          case 'new_operator':
            raised = await deps.alerts.raiseAnomalyEvents(rule, changes(rule, observations));
            break;
          case 'data_used_pct':
          case 'sms_used_pct':
          case 'expiry_days':
          case 'forecast_days':
          case 'offline_minutes':
            continue;
        }
      } catch (error) {
        // One failing rule (a bad parameter, a timeout) never stops the others.
        deps.logger.warn({ err: error, rule_id: rule.id, metric: rule.metric }, 'anomaly rule evaluation failed');
        continue;
      }
      counts.raised += raised.length;
      if (raised.length > 0) await deps.actions.run(rule, raised);
    }
    deps.observed?.(source, (performance.now() - started) / 1000, counts);
    return counts;
  }

  return {
    /** Evaluates every enabled anomaly rule over the whole fleet ('check-quotas' sweep). */
    sweep: () => evaluate(undefined, 'sweep'),

    /** Evaluates the anomaly rules for these SIMs only (after a Data Streamer batch or a detail sync). */
    async evaluateSims(iccids: string[]): Promise<AnomalyCounts> {
      const ids = await repo.simIds(iccids);
      if (ids.length === 0) return { rules: 0, candidates: 0, raised: 0, cleared: 0, observed: 0 };
      return evaluate(ids, 'batch');
    },
  };
}

export type AnomaliesService = ReturnType<typeof createAnomaliesService>;
