import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEPLOY, ROOT, findTools, run } from './tools.js';

const tools = findTools('Prometheus/Alertmanager config checks', ['promtool', 'amtool'] as const);
const RULES = path.join(DEPLOY, 'prometheus/rules/simfleet.rules.yml');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
}
const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups;
const alerts = groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);

describe('alert rules document their runbooks', () => {
  const operations = readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
  it.each(alerts.map((a) => [a.alert!, a]))('%s has a runbook section in docs/operations.md', (name, alert) => {
    expect(alert.annotations?.runbook).toBe(`docs/operations.md#${name.toLowerCase()}`);
    expect(operations).toMatch(new RegExp(`^#+ ${name}$`, 'm'));
  });
});

describe.skipIf(tools === undefined)('promtool and amtool', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'simfleet-prom-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the scrape configuration (with the rule files it loads)', () => {
    // The shipped config loads rules from /etc/prometheus/rules (the compose mount); point it here.
    const config = readFileSync(path.join(DEPLOY, 'prometheus/prometheus.yml'), 'utf8').replace('/etc/prometheus/rules/*.yml', RULES);
    expect(config).toContain(RULES);
    const file = path.join(dir, 'prometheus.yml');
    writeFileSync(file, config);
    const result = run(tools!.promtool, ['check', 'config', file]);
    expect(result.output).toContain('SUCCESS');
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('accepts the rules', () => {
    const result = run(tools!.promtool, ['check', 'rules', RULES]);
    expect(result.status, result.output).toBe(0);
  });

  it('rejects a broken rule (the check can fail)', () => {
    const file = path.join(dir, 'broken.yml');
    writeFileSync(file, 'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(simfleet_http_requests_total[5m]) >\n');
    expect(run(tools!.promtool, ['check', 'rules', file]).status).not.toBe(0);
  });

  it('passes the unit tests of every alert, and every alert has one that fires and one that stays quiet', () => {
    const testsFile = path.join(DEPLOY, 'prometheus/tests/simfleet.rules.test.yml');
    const result = run(tools!.promtool, ['test', 'rules', testsFile]);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');

    const tests = (parse(readFileSync(testsFile, 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] }).tests;
    const cases = tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert.alert);
      expect(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${alert.alert} has no firing test`).toBe(true);
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${alert.alert} has no quiet test`).toBe(true);
    }
  });

  it('accepts the Alertmanager configuration', () => {
    const result = run(tools!.amtool, ['check-config', path.join(DEPLOY, 'alertmanager/alertmanager.yml')]);
    expect(result.status, result.output).toBe(0);
  });
});
