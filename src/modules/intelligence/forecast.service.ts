import { DAY_MS, utcDay } from '../../lib/time.js';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Cache } from '../../cache.js';
import type { DB } from '../../db/schema.js';
import { BYTES_PER_MB } from '../../lib/units.js';
import type { ProductDto } from '../products/products.schemas.js';
import type { ProductsService } from '../products/products.service.js';
import { forecastExhaustion, forecastHistoryStart } from '../quotas/forecast.js';
import { pageReply } from '../../db/paging.js';
import { createAccountsRepo } from '../accounts/accounts.repo.js';
import { createForecastRepo } from './forecast.repo.js';
import type { FleetForecastDto, GroupFigures, Price } from './intelligence.schemas.js';

/**
 * Fleet forecast: which SIMs run out of data or reach the end of their lifetime in the next 30 and
 * 90 days, per account and tag, and the top-ups and extensions that would keep them running, priced
 * from each account's product catalogue. Exhaustion comes from the platform's one forecast model
 * (quotas/forecast.ts, the same answer as GET /sims/{iccid}/quota/data), fitted per SIM.
 */

export const HORIZONS = [30, 90] as const;
/** What one 1NCE top-up adds (the standard 500 MB / 250 SMS package; 1NCE's catalogue does not state volumes). */
export const TOPUP_BYTES = 500 * BYTES_PER_MB;
/** SIMs read per statement. */
const PAGE = 5_000;
/** The fleet figures are cached this long (a forecast does not move in minutes). */
const CACHE_SECONDS = 300;

/** One SIM's forecast. */
export interface SimForecast {
  iccid: string;
  accountId: string;
  tags: string[];
  label: string | null;
  remaining: number | null;
  burnPerDay: number | null;
  daysUntilExhaustion: number | null;
  exhaustionDate: string | null;
  expiryDate: string | null;
  daysUntilExpiry: number | null;
}

/** Cents (or the currency's minor unit) of a decimal amount. */
const minor = (amount: number | string) => Math.round(Number(amount) * 100);
const fromMinor = (n: number) => `${n < 0 ? '-' : ''}${Math.floor(Math.abs(n) / 100)}.${String(Math.abs(n) % 100).padStart(2, '0')}`;

/** The catalogue's top-up and lifetime extension products (1NCE names them "Top-Up" and "Extension"). */
export function pickPrices(products: ProductDto[]): { topup: Price | null; extension: Price | null } {
  const price = (match: RegExp): Price | null => {
    const p = products.find((x) => match.test(x.material ?? '') || match.test(x.name));
    if (p === undefined || p.one_time_charges.length === 0) return null;
    const currency = p.one_time_charges[0]!.currency ?? 'EUR';
    const total = p.one_time_charges.filter((c) => (c.currency ?? currency) === currency).reduce((sum, c) => sum + minor(c.amount_net ?? 0), 0);
    return { product_id: p.product_id, name: p.name, unit_price: fromMinor(total), currency };
  };
  return { topup: price(/top.?up/i), extension: price(/extension/i) };
}

/** Top-ups a SIM needs to keep running for `days` at its burn rate. */
export function topupsNeeded(f: Pick<SimForecast, 'remaining' | 'burnPerDay'>, days: number, topupBytes = TOPUP_BYTES): number {
  if (f.remaining === null) return 0;
  const burn = f.burnPerDay ?? 0;
  const shortfall = burn * days - Math.max(0, f.remaining);
  if (shortfall <= 0) return f.remaining <= 0 && burn > 0 ? 1 : 0;
  return Math.ceil(shortfall / topupBytes);
}

export interface ForecastServiceDeps {
  db: Kysely<DB>;
  products: Pick<ProductsService, 'list'>;
  cache: Pick<Cache, 'wrap'>;
  logger: Pick<Logger, 'warn'>;
  now?: () => Date;
}

/** Creates the fleet forecast service. */
export function createForecastService(deps: ForecastServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const repo = createForecastRepo(deps.db);
  const accounts = createAccountsRepo(deps.db);

  /** Every enabled SIM's forecast, a page of SIMs per statement (each with the usage the quota forecast reads). */
  async function* simForecasts(at: Date): AsyncGenerator<SimForecast[]> {
    const since = forecastHistoryStart(at.getTime());
    let after = 0;
    for (;;) {
      const rows = await repo.simsWithHistory(since, after, PAGE);
      if (rows.length === 0) return;
      after = Number(rows[rows.length - 1]!.id);
      yield rows.map((r) => {
        const remaining = r.data_remaining_bytes === null ? null : Number(r.data_remaining_bytes);
        const f = forecastExhaustion(
          r.hist.map(([day, used]) => ({ day, used: Number(used) })),
          remaining,
          at,
        );
        const expiry = r.data_expiry_date === null ? null : new Date(r.data_expiry_date);
        return {
          iccid: r.iccid,
          accountId: r.account_id,
          tags: r.tags,
          label: r.label,
          remaining,
          burnPerDay: f.burn_rate_per_day,
          daysUntilExhaustion: f.days_until_exhaustion,
          exhaustionDate: f.forecast_exhaustion_date ?? (f.days_until_exhaustion === 0 ? utcDay(at.getTime()) : null),
          expiryDate: expiry === null ? null : utcDay(expiry.getTime()),
          daysUntilExpiry: expiry === null ? null : Math.round(((expiry.getTime() - at.getTime()) / DAY_MS) * 10) / 10,
        };
      });
      if (rows.length < PAGE) return;
    }
  }

  async function prices(accountIds: string[]) {
    const out = new Map<string, { topup: Price | null; extension: Price | null; error: string | null }>();
    for (const id of accountIds) {
      try {
        out.set(id, { ...pickPrices((await deps.products.list(id)).items), error: null });
      } catch (error) {
        // The forecast still answers without prices when 1NCE's catalogue cannot be read.
        deps.logger.warn({ err: error, account_id: id }, 'product catalogue unavailable for the forecast');
        out.set(id, { topup: null, extension: null, error: 'The product catalogue could not be read' });
      }
    }
    return out;
  }

  async function compute(): Promise<FleetForecastDto> {
    const at = now();
    type Acc = { exhausting: number; expiring: number; topups: number; extensions: number; cost: Map<string, number> };
    const empty = (): Acc => ({ exhausting: 0, expiring: 0, topups: 0, extensions: 0, cost: new Map() });
    const horizons = HORIZONS.map((days) => ({ days, total: empty(), accounts: new Map<string, Acc>(), tags: new Map<string, Acc>() }));
    const perAccount: Array<{ accountId: string; tags: string[]; horizon: number; topups: number; extensions: number; exhausting: boolean; expiring: boolean }> = [];
    for await (const page of simForecasts(at)) {
      for (const f of page) {
        for (const h of HORIZONS) {
          const exhausting = f.daysUntilExhaustion !== null && f.daysUntilExhaustion <= h;
          const expiring = f.daysUntilExpiry !== null && f.daysUntilExpiry <= h;
          const topups = topupsNeeded(f, h);
          if (!exhausting && !expiring && topups === 0) continue;
          perAccount.push({ accountId: f.accountId, tags: f.tags, horizon: h, topups, extensions: expiring ? 1 : 0, exhausting, expiring });
        }
      }
    }
    const catalogue = await prices([...new Set(perAccount.map((p) => p.accountId))]);
    const names = new Map((await accounts.names()).map((a) => [a.id, a.name]));
    const addTo = (acc: Acc, p: (typeof perAccount)[number]) => {
      acc.exhausting += p.exhausting ? 1 : 0;
      acc.expiring += p.expiring ? 1 : 0;
      acc.topups += p.topups;
      acc.extensions += p.extensions;
      const c = catalogue.get(p.accountId);
      for (const [price, n] of [[c?.topup, p.topups], [c?.extension, p.extensions]] as const) {
        if (price === null || price === undefined || n === 0) continue;
        acc.cost.set(price.currency, (acc.cost.get(price.currency) ?? 0) + minor(price.unit_price) * n);
      }
    };
    for (const p of perAccount) {
      const h = horizons.find((x) => x.days === p.horizon)!;
      addTo(h.total, p);
      addTo(h.accounts.get(p.accountId) ?? h.accounts.set(p.accountId, empty()).get(p.accountId)!, p);
      for (const tag of p.tags) addTo(h.tags.get(tag) ?? h.tags.set(tag, empty()).get(tag)!, p);
    }
    const figures = (a: Acc): GroupFigures => ({
      sims_exhausting: a.exhausting,
      sims_expiring: a.expiring,
      topups_needed: a.topups,
      extensions_needed: a.extensions,
      cost: [...a.cost].sort(([x], [y]) => x.localeCompare(y)).map(([currency, n]) => ({ currency, amount: fromMinor(n) })),
    });
    return {
      generated_at: at.toISOString(),
      topup_volume_bytes: TOPUP_BYTES,
      horizons: horizons.map((h) => ({
        days: h.days,
        ...figures(h.total),
        accounts: [...h.accounts].map(([id, a]) => ({ account_id: id, account_name: names.get(id) ?? null, ...figures(a) })),
        tags: [...h.tags].sort(([x], [y]) => x.localeCompare(y)).map(([tag, a]) => ({ tag, ...figures(a) })),
      })),
      prices: [...catalogue].map(([id, c]) => ({ account_id: id, ...c })),
    };
  }

  return {
    /** The fleet forecast for the next 30 and 90 days (cached five minutes for every caller). */
    fleet: (): Promise<FleetForecastDto> => deps.cache.wrap('intelligence:forecast:fleet', CACHE_SECONDS, compute),

    /**
     * SIMs forecast to run out of data (or, with `kind: 'expiry'`, to reach the end of their
     * lifetime) within `withinDays`, soonest first: "which SIMs will run out of data this month?".
     */
    async sims(query: { withinDays: number; kind: 'exhaustion' | 'expiry'; account?: string | undefined; tag?: string | undefined; page: number; pageSize: number }) {
      const at = now();
      const hits: SimForecast[] = [];
      for await (const page of simForecasts(at)) {
        for (const f of page) {
          if (query.account !== undefined && f.accountId !== query.account) continue;
          if (query.tag !== undefined && !f.tags.includes(query.tag)) continue;
          const days = query.kind === 'expiry' ? f.daysUntilExpiry : f.daysUntilExhaustion;
          if (days !== null && days <= query.withinDays) hits.push(f);
        }
      }
      const key = (f: SimForecast) => (query.kind === 'expiry' ? f.daysUntilExpiry : f.daysUntilExhaustion) ?? 0;
      hits.sort((a, b) => key(a) - key(b) || a.iccid.localeCompare(b.iccid));
      const start = (query.page - 1) * query.pageSize;
      const items = hits.slice(start, start + query.pageSize).map((f) => ({
          iccid: f.iccid,
          account_id: f.accountId,
          label: f.label,
          tags: f.tags,
          data_remaining_bytes: f.remaining,
          burn_rate_per_day: f.burnPerDay === null ? null : Math.round(f.burnPerDay),
          days_until_exhaustion: f.daysUntilExhaustion,
          forecast_exhaustion_date: f.exhaustionDate,
          data_expiry_date: f.expiryDate,
          days_until_expiry: f.daysUntilExpiry,
          topups_needed: topupsNeeded(f, query.withinDays),
        }));
      return pageReply(items, hits.length, query.page, query.pageSize);
    },
  };
}

export type ForecastService = ReturnType<typeof createForecastService>;
