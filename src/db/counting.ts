import { CompiledQuery, sql, type Kysely, type SelectQueryBuilder } from 'kysely';

/**
 * Totals for large lists without counting every matching row on every page (docs/adr/0012).
 *
 * A filter's rows are counted exactly up to `exactLimit`; that costs at most `exactLimit` index
 * entries, whatever the fleet size. Past it the total is an estimate: the exact count of the same
 * filter taken in the background within the last `ttlMs` when there is one, else the planner's
 * row estimate (from the statistics `refreshStatistics` keeps current), never below the limit.
 */
export interface Total {
  total: number;
  /** The total is an estimate (the filter matches more than the exact limit). */
  isEstimate: boolean;
}

export interface TotalCounterOptions {
  /** Rows counted exactly per request at most. */
  exactLimit?: number;
  /** How long a background exact count stands in for the estimate. */
  ttlMs?: number;
  /** Distinct filters whose background counts are kept. */
  maxEntries?: number;
  now?: () => number;
  /** Told when a background count fails (the request has already been answered). */
  onError?: (error: unknown) => void;
}

/** Counted exactly up to here: about a millisecond of index entries on a 2-core machine. */
export const EXACT_COUNT_LIMIT = 1_000;
/** A background count stands for a minute: long enough to be cheap, short enough to follow the fleet. */
const COUNT_TTL_MS = 60_000;
const MAX_ENTRIES = 500;

type Row = Record<string, unknown>;

/** The planner's row estimate of a compiled SELECT (`explain (format json)`, no execution). */
async function plannerEstimate<DB>(db: Kysely<DB>, query: CompiledQuery): Promise<number> {
  const { rows } = await db.executeQuery<Row>(CompiledQuery.raw(`explain (format json) ${query.sql}`, [...query.parameters]));
  const first = rows[0];
  const raw = first === undefined ? undefined : Object.values(first)[0];
  const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan?: { 'Plan Rows'?: number } }> | undefined;
  return Math.round(plan?.[0]?.Plan?.['Plan Rows'] ?? 0);
}

/** Creates the counter a repository uses for its list totals; its background counts are per process. */
export function createTotalCounter<DB>(db: Kysely<DB>, options: TotalCounterOptions = {}) {
  const exactLimit = options.exactLimit ?? EXACT_COUNT_LIMIT;
  const ttlMs = options.ttlMs ?? COUNT_TTL_MS;
  const maxEntries = options.maxEntries ?? MAX_ENTRIES;
  const now = options.now ?? Date.now;
  const counted = new Map<string, { total: number; at: number }>();
  const running = new Set<string>();

  async function countAll(query: CompiledQuery): Promise<number> {
    const { rows } = await db.executeQuery<{ n: number | string | bigint }>(
      CompiledQuery.raw(`select count(*) as n from (${query.sql}) as filtered`, [...query.parameters]),
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Counts the whole filter once in the background (one at a time per filter) and keeps the result. */
  function countLater(key: string, query: CompiledQuery): void {
    if (running.has(key)) return;
    running.add(key);
    countAll(query)
      .then((total) => {
        counted.delete(key);
        counted.set(key, { total, at: now() });
        // Oldest first: a Map iterates in insertion order.
        while (counted.size > maxEntries) counted.delete(counted.keys().next().value!);
      })
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => running.delete(key));
  }

  return {
    exactLimit,

    /**
     * The total of `filtered` (a SELECT with its FROM and WHERE; its selection is replaced).
     * `key` identifies the filter for the background count (the same filter, the same key).
     */
    async total<T, TB extends keyof T, O>(filtered: SelectQueryBuilder<T, TB, O>, key: string): Promise<Total> {
      const cached = counted.get(key);
      if (cached !== undefined && now() - cached.at < ttlMs) return { total: cached.total, isEstimate: true };
      const rowsOf = filtered.clearSelect().select(sql<number>`1`.as('one'));
      const capped = await countAll(rowsOf.limit(exactLimit + 1).compile());
      if (capped <= exactLimit) return { total: capped, isEstimate: false };
      const all = rowsOf.compile();
      countLater(key, all);
      return { total: Math.max(exactLimit + 1, await plannerEstimate(db, all)), isEstimate: true };
    },
  };
}

export type TotalCounter = ReturnType<typeof createTotalCounter>;
