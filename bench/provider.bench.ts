/**
 * Provider client benchmark (figures, not a timed test):
 * 1. list a 10,000-SIM simulated fleet through the client while the simulator enforces
 *    10 req/s on /sims; report requests, 429s, wall time and achieved rate / limit
 *    (target: 0 429s and >= 95 % of the limit);
 * 2. decode 100,000 raw SIM objects with no limit; report SIMs per second.
 */
import { Registry } from 'prom-client';
import { createProviderClient } from '../src/provider/client.js';
import { createProviderMetrics } from '../src/metrics/provider.js';
import { decodeList, decodeSim } from '../src/provider/provider.decoders.js';
import { createSimulator } from '../src/simulator/index.js';

const FLEET_SIZE = 10_000;
const SIMS_RPS = 10;
const PAGE_SIZE = 100;
const DECODE_COUNT = 100_000;

interface SimulatorStats {
  requests: Record<string, number>;
  rateLimited: { total: number; sims: number };
}

async function benchListing(): Promise<Record<string, unknown>> {
  const sim = await createSimulator({ port: 0, fleetSize: FLEET_SIZE, seed: 7, clientId: 'bench', clientSecret: 'bench-secret', mode: 'observed', simsRps: SIMS_RPS });
  try {
    const baseUrl = await sim.listen(0, '127.0.0.1');
    const origin = new URL(baseUrl).origin;
    const client = createProviderClient({
      baseUrl,
      clientId: 'bench',
      clientSecret: 'bench-secret',
      accountKey: 'bench',
      timeoutMs: 15_000,
      metrics: createProviderMetrics(new Registry()),
    });
    const started = performance.now();
    let count = 0;
    for await (const _sim of client.listSims({ pageSize: PAGE_SIZE, priority: 'bulk' })) count++;
    const wallSeconds = (performance.now() - started) / 1000;
    const stats = (await (await fetch(`${origin}/_simulator/stats`)).json()) as SimulatorStats;
    const simsRequests = (stats.requests['GET /v2/sims'] ?? 0) + (stats.requests['GET /v1/sims'] ?? 0);
    const achievedRps = simsRequests / wallSeconds;
    return {
      fleetSize: FLEET_SIZE,
      simsListed: count,
      pageSize: PAGE_SIZE,
      limitRps: SIMS_RPS,
      simsRequests,
      rateLimited429: stats.rateLimited.total,
      wallSeconds: Number(wallSeconds.toFixed(2)),
      achievedRps: Number(achievedRps.toFixed(2)),
      achievedOfLimit: Number((achievedRps / SIMS_RPS).toFixed(3)),
      target: '0 x 429 and >= 0.95 of the limit',
      met: stats.rateLimited.total === 0 && achievedRps / SIMS_RPS >= 0.95 && count === FLEET_SIZE,
    };
  } finally {
    await sim.close();
  }
}

function benchDecoding(): Record<string, unknown> {
  const raw = Array.from({ length: DECODE_COUNT }, (_, i) => ({
    iccid: String(8988228066600000000n + BigInt(i)),
    iccid_with_luhn: `${String(8988228066600000000n + BigInt(i))}0`,
    imsi: String(901405100000000 + i),
    msisdn: String(882285100000000 + i),
    imei: '8682390510000001',
    imei_lock: i % 3 === 0,
    status: i % 9 === 0 ? 'Disabled' : 'Enabled',
    activation_date: '2021-08-26T12:13:06.000+0000',
    ip_address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    current_quota: 500,
    quota_status: { id: 0, description: 'More than 20% available' },
    current_quota_SMS: 250,
    quota_status_SMS: { id: 0, description: 'More than 20% available' },
    ...(i % 2 === 0 && { label: `device-${i}` }),
  }));
  // Decode from JSON text, as the client does, so the figure includes per-object allocation.
  const parsed = JSON.parse(JSON.stringify(raw)) as unknown;
  decodeList((parsed as unknown[]).slice(0, 1000), decodeSim); // warm-up
  const started = performance.now();
  const { items, invalid } = decodeList(parsed, decodeSim);
  const seconds = (performance.now() - started) / 1000;
  return {
    sims: DECODE_COUNT,
    decoded: items.length,
    invalid,
    seconds: Number(seconds.toFixed(3)),
    simsPerSecond: Math.round(DECODE_COUNT / seconds),
    target: '> 50,000 SIMs/s',
    met: DECODE_COUNT / seconds > 50_000,
  };
}

/** Runs both provider benchmarks and returns their figures. */
export async function runProviderBench(): Promise<Record<string, unknown>> {
  const decoding = benchDecoding();
  const listing = await benchListing();
  return { listing, decoding };
}
