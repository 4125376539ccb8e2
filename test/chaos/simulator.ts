/** Simulator control and metric helpers shared by the chaos tests. */
import type { TestApp } from '../helpers/app.js';

/** `GET /_simulator/stats` as the chaos tests read it. */
export interface SimulatorStats {
  requests: Record<string, number>;
  rateLimited: { total: number };
  faults: Record<string, number> & { total: number };
  effects: { sms: number; topups: number; orders: number; perTarget: Record<string, number> };
}

/** Reads the simulator's counters. */
export async function simulatorStats(t: Pick<TestApp, 'simulatorOrigin'>): Promise<SimulatorStats> {
  const response = await fetch(`${t.simulatorOrigin!}/_simulator/stats`);
  return (await response.json()) as SimulatorStats;
}

/** Replaces the simulator's fault rates (an empty object switches every fault off). */
export async function setFaults(t: Pick<TestApp, 'simulatorOrigin'>, rates: object): Promise<void> {
  const current = (await (await fetch(`${t.simulatorOrigin!}/_simulator/faults`)).json()) as Record<string, number>;
  const next = Object.fromEntries(Object.keys(current).map((k) => [k, (rates as Record<string, number>)[k] ?? 0]));
  const response = await fetch(`${t.simulatorOrigin!}/_simulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(next) });
  if (!response.ok) throw new Error(`setting faults failed: ${response.status}`);
}

/** The samples of one metric from the app's own registry. */
export async function metricSamples(t: Pick<TestApp, 'deps'>, name: string): Promise<Array<{ labels: Record<string, string>; value: number }>> {
  const metric = t.deps.metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const data = await metric.get();
  return data.values.map((v) => ({ labels: v.labels as Record<string, string>, value: v.value }));
}
