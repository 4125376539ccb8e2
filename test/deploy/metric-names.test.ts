import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startPlatform, type Platform } from '../../src/server.js';
import { DEPLOY } from './tools.js';

/**
 * Every metric named in every Grafana panel and every Prometheus rule must be one the platform
 * really emits: the old system's dashboards and alerts queried metrics that never existed.
 * Names come from a real PromQL parser (the Prometheus project's lezer grammar), so an invalid
 * query fails here too.
 */

/** Series Prometheus itself adds to every scrape target; the platform cannot emit them. */
const PROMETHEUS_SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'ALERTS', 'ALERTS_FOR_STATE']);

/** Metric names in a PromQL expression; throws with the position of a syntax error. */
function metricNames(expr: string): string[] {
  const tree = parser.parse(expr);
  const names: string[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) throw new Error(`invalid PromQL at ${cursor.from}: ${expr}`);
    if (cursor.type.name === 'Identifier' && cursor.node.parent?.type.name === 'VectorSelector') {
      names.push(expr.slice(cursor.from, cursor.to));
    }
    if (cursor.type.name === 'UnquotedLabelMatcher') {
      const matcher = /^__name__\s*=\s*"([^"]+)"$/.exec(expr.slice(cursor.from, cursor.to));
      if (matcher) names.push(matcher[1]!);
    }
  } while (cursor.next());
  return names;
}

/** Grafana variables are not PromQL: `$__rate_interval` is a duration, other variables sit in label values. */
function grafanaToPromql(expr: string): string {
  return expr.replace(/\$__(rate_)?interval/g, '5m').replace(/\$\{?\w+\}?/g, '.*');
}

interface Panel {
  title: string;
  type: string;
  datasource?: { uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

const dashboardsDir = path.join(DEPLOY, 'grafana/dashboards');
const dashboards = readdirSync(dashboardsDir)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, json: JSON.parse(readFileSync(path.join(dashboardsDir, file), 'utf8')) as { uid: string; title: string; panels: Panel[] } }));
const panels = dashboards.flatMap((d) => d.json.panels.flatMap((p) => [p, ...(p.panels ?? [])]).map((panel) => ({ dashboard: d.file, panel })));
const rules = (parse(readFileSync(path.join(DEPLOY, 'prometheus/rules/simfleet.rules.yml'), 'utf8')) as { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
const recorded = new Set(rules.flatMap((r) => (r.record === undefined ? [] : [r.record])));

describe('PromQL name extraction', () => {
  it('finds selectors inside functions, aggregations and binary operations, not labels or functions', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(a_bucket{route!~"x"}[5m]))) / on() b > 3 * max by (job) ({__name__="c"})').sort()).toEqual(['a_bucket', 'b', 'c']);
  });
  it('rejects an invalid query', () => {
    expect(() => metricNames('sum(rate(a[5m])')).toThrow(/invalid PromQL/);
  });
});

describe('dashboards and rules use only metrics the platform emits (demo mode, /metrics)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-metrics-'));
  let platform: Platform | undefined;
  let emitted: Set<string>;

  beforeAll(async () => {
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SIMULATOR_PORT: '0', SIMULATOR_FLEET_SIZE: '20', LOG_LEVEL: 'silent' });
    expect(config.demoMode).toBe(true);
    platform = await startPlatform(config, createLogger(config));
    const res = await fetch(`${platform.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    // Every family is declared by a TYPE line, with or without samples yet; histograms expose three series.
    emitted = new Set();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      emitted.add(name!);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) emitted.add(`${name}${suffix}`);
      if (type === 'summary') for (const suffix of ['_sum', '_count']) emitted.add(`${name}${suffix}`);
    }
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const known = (name: string) => emitted.has(name) || recorded.has(name) || PROMETHEUS_SYNTHETIC.has(name);

  it('the scrape declares the families the rules depend on (sanity check of the parser)', () => {
    for (const name of ['simfleet_http_requests_total', 'simfleet_http_request_duration_seconds_bucket', 'simfleet_dependency_up', 'process_cpu_seconds_total']) {
      expect(emitted.has(name), name).toBe(true);
    }
    expect(known('simfleet_made_up_metric_total')).toBe(false);
  });

  it('has five dashboards (API, fleet, provider budget and sync, jobs, streamer), every panel with a query on the provisioned datasource', () => {
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual(['simfleet-api', 'simfleet-fleet', 'simfleet-jobs', 'simfleet-provider', 'simfleet-streamer']);
    for (const { dashboard, panel } of panels) {
      if (panel.type === 'row') continue;
      expect(panel.targets?.length ?? 0, `${dashboard} / ${panel.title}`).toBeGreaterThan(0);
      expect(panel.datasource?.uid, `${dashboard} / ${panel.title}`).toBe('prometheus');
    }
  });

  it('every dashboard expression is valid PromQL over emitted metrics', () => {
    const unknown: string[] = [];
    let checked = 0;
    for (const { dashboard, panel } of panels) {
      for (const target of panel.targets ?? []) {
        const names = metricNames(grafanaToPromql(target.expr));
        expect(names.length, `${dashboard} / ${panel.title}: ${target.expr}`).toBeGreaterThan(0);
        checked += names.length;
        for (const name of names) if (!known(name)) unknown.push(`${dashboard} / ${panel.title}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it('every alert and recording rule expression uses emitted metrics', () => {
    const unknown: string[] = [];
    for (const rule of rules) {
      const names = metricNames(rule.expr);
      expect(names.length, rule.alert ?? rule.record).toBeGreaterThan(0);
      for (const name of names) if (!known(name)) unknown.push(`${rule.alert ?? rule.record}: ${name}`);
    }
    expect(unknown).toEqual([]);
  });
});
