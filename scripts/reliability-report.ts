/**
 * Regenerates the figures in docs/reliability.md: runs the chaos tests (test/chaos) with
 * RELIABILITY_FIGURES_DIR set, reads their JSON figures and the last soak result
 * (bench/results/soak.json), and rewrites the generated sections between the
 * `<!-- reliability:NAME -->` and `<!-- /reliability:NAME -->` markers. Text outside the markers is
 * left alone.
 *
 *   npx tsx scripts/reliability-report.ts                 # run test/chaos, then render
 *   npx tsx scripts/reliability-report.ts --soak          # also run `npm run bench -- soak` first (10 minutes)
 *   npx tsx scripts/reliability-report.ts --figures DIR   # render from figures already recorded in DIR
 *                                                         # (sections without figures there keep theirs)
 *
 * TEST_DATABASE_URL, when set, also runs the provider-fault test on PostgreSQL; SOAK_* knobs pass through.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any -- renders JSON figures whose shape each test owns */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = path.join(ROOT, 'docs/reliability.md');
const SOAK_RESULT = path.join(ROOT, 'bench/results/soak.json');

type Figures = Record<string, unknown>;
type Json = Record<string, any>;

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

function run(command: string, args: string[], env: Record<string, string>): void {
  process.stdout.write(`$ ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) process.stdout.write(`(exit ${result.status}: figures of the failing tests are missing or partial)\n`);
}

function readFigures(dir: string): Record<string, Figures> {
  const figures: Record<string, Figures> = {};
  if (!existsSync(dir)) return figures;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) figures[file.replace(/\.json$/, '')] = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Figures;
  return figures;
}

const n = (value: unknown) => (typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 1 }) : (typeof value === 'string' ? value : value === undefined || value === null ? '-' : JSON.stringify(value)));
const table = (head: string[], rows: unknown[][]) => [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(n).join(' | ')} |`)].join('\n');
const dateOf = (f: Json) => (typeof f.recordedAt === 'string' ? f.recordedAt.slice(0, 16).replace('T', ' ') + ' UTC' : 'unknown date');

function providerFaults(all: Record<string, Figures>): string {
  const runs = Object.entries(all).filter(([k]) => k.startsWith('provider-faults-')) as Array<[string, Json]>;
  if (runs.length === 0) return '_No figures recorded yet: run `npx tsx scripts/reliability-report.ts`._';
  return runs
    .map(([, f]) => {
      const kinds = Object.entries(f.faults as Record<string, number>).filter(([k]) => k !== 'total');
      const perKind = Object.entries((f.perKind ?? {}) as Record<string, Json>);
      return [
        `**${f.backend}** (${dateOf(f)}): fault rate ${Math.round(f.faultRate * 100)} % spread evenly over ${kinds.length} kinds; ${n(f.simulatorRequests)} requests reached the simulator, **${n(f.faults.total)} were faulted**. The ${n(f.fleet)}-SIM sweep completed in ${n(f.sweepRuns)} run(s) (the engine allows 3); ${n(f.apiCalls)} API calls were made.`,
        '',
        table(['fault kind', 'injected'], kinds.map(([k, v]) => [k, v])),
        '',
        `Side effects at the simulator: ${n(f.effects.sms)} SMS, ${n(f.effects.topups)} top-ups, ${n(f.effects.orders)} orders; **performed twice: ${n(f.effects.repeated)}**.`,
        '',
        `API answers by status: ${Object.entries(f.apiStatuses as Record<string, number>).map(([s, c]) => `${s}: ${n(c)}`).join(', ')} (no 500).`,
        '',
        `Client retries by reason (simfleet_provider_retries_total): ${Object.entries(f.retries as Record<string, number>).map(([r, c]) => `${r} ${n(c)}`).join(', ')}.`,
        '',
        'Each kind alone on every request, behind `GET /api/v1/sims/{iccid}/connectivity`:',
        '',
        table(['fault kind', 'caller gets', 'code', 'Retry-After'], perKind.map(([k, a]) => [k, a.status, `\`${a.code}\``, a.retryAfter ?? '-'])),
      ].join('\n');
    })
    .join('\n\n');
}

function postgresRestart(f: Json | undefined): string {
  if (f === undefined) return '_Not recorded (needs PostgreSQL server binaries)._';
  return [
    `Recorded ${dateOf(f)}. PostgreSQL down for **${n(f.outageMs)} ms** under traffic (readiness, SIM list, fleet summary and audit reads every 100 ms): ${n(f.requests)} requests, by status ${Object.entries(f.statuses as Record<string, number>).map(([s, c]) => `${s}: ${n(c)}`).join(', ')}.`,
    '',
    table(
      ['measure', 'value'],
      [
        ['readiness 200 again after PostgreSQL started', `${n(f.readyAgainAfterStartMs)} ms`],
        ['SIM list 200 again after PostgreSQL started', `${n(f.apiAgainAfterStartMs)} ms`],
        ['slowest answer while PostgreSQL was down', `${n(f.slowestDuringOutageMs)} ms`],
        ['slowest answer overall (p99)', `${n(f.slowestMs)} ms (${n(f.p99Ms)} ms)`],
        ['process restarted', f.sameProcess === true ? 'no (same pid)' : 'yes'],
      ],
    ),
  ].join('\n');
}

function redisOutage(f: Json | undefined): string {
  if (f === undefined) return '_Not recorded (needs redis-server)._';
  const parts: string[] = [`Recorded ${dateOf(f)}.`];
  if (f.governor !== undefined) {
    const g = f.governor as Json;
    parts.push(
      '',
      `Provider governor, 20 requests/s budget, ${g.peers} peers: interval ${n(g.intervalMs)} ms; measured gap per grant **${n(g.sharedGapMs)} ms** shared, **${n(g.redisDownGapMs)} ms** with Redis down (this process's half), **${n(g.resumedGapMs)} ms** after Redis returned.`,
    );
  }
  if (f.api !== undefined) {
    const a = f.api as Json;
    const row = (label: string, p: Json) => [label, Math.round(p.perSecond), Object.entries(p.statuses as Record<string, number>).map(([s, c]) => `${s}: ${c}`).join(', ')];
    parts.push(
      '',
      `Two platform processes, API limit ${a.limitPerSecond} requests/s per caller, one caller hammering with 4 connections per process (readiness while Redis was down: ${a.readinessWhileDown}):`,
      '',
      table(
        ['phase', '2xx per second', 'answers'],
        [
          row('Redis up, one process', a.shared),
          row('Redis up, both processes', a.sharedBoth),
          row('Redis down, one process', a.redisDownOneProcess),
          row('Redis down, both processes', a.redisDownBothProcesses),
          row('Redis back, one process', a.resumed),
        ],
      ),
    );
  }
  return parts.join('\n');
}

function pgliteStorage(f: Json | undefined): string {
  if (f === undefined) return '_Not recorded._';
  const rows: unknown[][] = [];
  if (f.unwritable !== undefined) rows.push(['directory not writable', `exit ${f.unwritable.exitCode} after ${n(f.unwritable.refusedInMs)} ms`, f.unwritable.message, 'started, admin signs in']);
  if (f.fullDisk !== undefined) rows.push(['disk full (tmpfs)', `exit ${f.fullDisk.exitCode} after ${n(f.fullDisk.refusedInMs)} ms`, f.fullDisk.message, f.fullDisk.dataIntactAfterRestart === true ? 'started, data written before intact' : '?']);
  return [`Recorded ${dateOf(f)}.`, '', table(['scenario', 'start', 'what the operator reads', 'next start'], rows.map((r) => r.map((c) => String(c).replace(/\|/g, '\\|'))))].join('\n');
}

function soak(result: Json | undefined): string {
  if (result === undefined) return '_No soak result yet: `npm run bench -- soak`._';
  const r = result.result as Json;
  const intervals = (r.intervals ?? []) as Json[];
  const intervalSeconds = intervals.length > 0 ? Math.round(r.seconds / intervals.length) : 0;
  const load = Array.isArray(r.loadAverage) ? ` Load average at the end ${(r.loadAverage as number[]).join(' / ')} (1 / 5 / 15 min) on ${r.cpus} cores.` : '';
  const verdict =
    r.heapSlopeMbPerMinuteSecondHalf === undefined
      ? []
      : [
          `**Heap after full GC, second half of the run: ${n(r.heapSlopeMbPerMinuteSecondHalf)} MB/min, ${r.heapVerdict}** (flat means below ${n(r.flatThresholdMbPerMinute)} MB/min; least-squares slope of the samples taken every ${n(r.sampleSeconds)} s after a forced full GC). First half (warm-up included): ${n(r.heapSlopeMbPerMinuteFirstHalf)} MB/min. p99 per interval between ${n(r.p99MsMin)} and ${n(r.p99MsMax)} ms.`,
          '',
        ];
  const hasCache = intervals.some((s) => s.cacheEntries !== undefined);
  return [
    `Run ${String(result.at).slice(0, 16).replace('T', ' ')} UTC on ${r.backend}: **${n(r.sims)} SIMs, ${n(r.seconds)} s**, ${r.concurrency} concurrent callers, ${n(r.requests)} requests, ${n(r.errors)} errors${r.note === undefined ? '' : ` (${r.note})`}.${load}`,
    '',
    ...verdict,
    table(
      ['measure', 'start', 'end'],
      [
        ['RSS (MB)', r.rssMbStart, r.rssMbEnd],
        ['heap after full GC (MB)', r.heapMbAfterGcStart ?? r.start?.heapMb, r.heapMbAfterGcEnd ?? r.end?.heapMb],
        ['pool connections total / idle / waiting', `${r.start.pool.total} / ${r.start.pool.idle} / ${r.start.pool.waiting}`, `${r.end.pool.total} / ${r.end.pool.idle} / ${r.end.pool.waiting}`],
        ['open TCP sockets (pool + clients)', r.start.handles.TCPSocketWrap ?? 0, r.end.handles.TCPSocketWrap ?? 0],
        ['HTTP connections open on the server', r.start.serverConnections, r.end.serverConnections],
        ...(r.end.cacheEntries === undefined ? [] : [['in-process cache entries', r.start.cacheEntries, r.end.cacheEntries]]),
      ],
    ),
    '',
    rssLine(r),
    '',
    table(
      [`interval (${intervalSeconds} s)`, 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'RSS MB (highest)', 'heap MB (highest)', ...(hasCache ? ['cache entries'] : [])],
      intervals.map((s) => [s.interval + 1, s.requests, s.rps, s.p50Ms, s.p99Ms, s.errors, s.rssMb, s.heapMb, ...(hasCache ? [s.cacheEntries as unknown] : [])]),
    ),
  ].join('\n');
}

/** RSS: its verdict, and the mean of the samples in each quarter of the run (a plateau shows as shrinking steps). */
function rssLine(r: Json): string {
  const memory = (r.memory ?? []) as Array<{ atSeconds: number; rssMb: number }>;
  const quarters = [0, 1, 2, 3].map((q) => memory.filter((m) => m.atSeconds >= (q * r.seconds) / 4 && m.atSeconds < ((q + 1) * r.seconds) / 4).map((m) => m.rssMb));
  const means = quarters.every((q) => q.length > 0) ? quarters.map((q) => Math.round((q.reduce((a, b) => a + b, 0) / q.length) * 10) / 10) : [];
  const verdict = r.rssVerdict === undefined ? '' : `, **${r.rssVerdict}** (flat means below ${n(r.rssFlatThresholdMbPerMinute)} MB/min: RSS swings with the work in flight at each sample, so its threshold is wider than the heap's)`;
  const steps = means.length === 4 ? ` Mean RSS per quarter of the run: ${means.map((m) => n(m)).join(' / ')} MB.` : '';
  return `RSS peak ${n(r.rssMbPeak)} MB; RSS trend over the second half ${Number(r.rssSlopeMbPerMinuteSecondHalf).toFixed(2)} MB/min${verdict}.${steps}`;
}

function replaceSection(doc: string, name: string, body: string): string {
  const begin = `<!-- reliability:${name} -->`;
  const end = `<!-- /reliability:${name} -->`;
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  if (from === -1 || to === -1) throw new Error(`docs/reliability.md lacks the markers of section "${name}"`);
  return `${doc.slice(0, from + begin.length)}\n${body}\n${doc.slice(to)}`;
}

function main(): void {
  let dir = argValue('--figures');
  if (dir === undefined) {
    dir = mkdtempSync(path.join(tmpdir(), 'simfleet-reliability-'));
    run('npx', ['vitest', 'run', '--no-file-parallelism', 'test/chaos'], { RELIABILITY_FIGURES_DIR: dir });
  }
  if (process.argv.includes('--soak')) run('npm', ['run', 'bench', '--', 'soak'], {});
  const figures = readFigures(dir);
  const soakResult = existsSync(SOAK_RESULT) ? (JSON.parse(readFileSync(SOAK_RESULT, 'utf8')) as Json) : undefined;

  let doc = readFileSync(DOC, 'utf8');
  // A section whose figures this run did not record keeps its last figures (e.g. `--figures` of a
  // partial run, or only a new soak result to render).
  const hasProviderFaults = Object.keys(figures).some((k) => k.startsWith('provider-faults-'));
  if (hasProviderFaults) doc = replaceSection(doc, 'provider-faults', providerFaults(figures));
  if (figures['postgres-restart'] !== undefined) doc = replaceSection(doc, 'postgres-restart', postgresRestart(figures['postgres-restart']));
  if (figures['redis-outage'] !== undefined) doc = replaceSection(doc, 'redis-outage', redisOutage(figures['redis-outage']));
  if (figures['pglite-storage'] !== undefined) doc = replaceSection(doc, 'pglite-storage', pgliteStorage(figures['pglite-storage']));
  if (soakResult !== undefined) doc = replaceSection(doc, 'soak', soak(soakResult));
  writeFileSync(DOC, doc);
  process.stdout.write(`docs/reliability.md updated from ${Object.keys(figures).length} figure file(s)${soakResult === undefined ? '' : ' and the soak result'}\n`);
}

main();
