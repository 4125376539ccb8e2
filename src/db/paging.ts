import { sql, type SelectQueryBuilder, type Simplify } from 'kysely';

/** One page of a list and how many rows its filter matches in all. */
export interface Page<R> {
  rows: R[];
  total: number;
}

/**
 * A page of `filtered`: `shape` selects and orders the rows (the page's LIMIT/OFFSET are added here)
 * while `count(*)` over the same filter runs alongside. Pages are 1-based.
 */
export async function pageOf<DB, TB extends keyof DB, O, R>(
  filtered: SelectQueryBuilder<DB, TB, O>,
  shape: (query: SelectQueryBuilder<DB, TB, O>) => SelectQueryBuilder<DB, TB, R>,
  page: number,
  pageSize: number,
): Promise<Page<Simplify<R>>> {
  const counted = filtered.clearSelect().select(sql<number | string | bigint>`count(*)`.as('n'));
  const [rows, count] = await Promise.all([
    shape(filtered)
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .execute(),
    // Generic over the table, so Kysely cannot name the selection's type here; it is `{ n }`.
    // int8 arrives as a number from pg (our type parser) and as a bigint or string elsewhere.
    counted.executeTakeFirstOrThrow() as Promise<{ n: number | string | bigint }>,
  ]);
  return { rows, total: Number(count.n) };
}

/** The reply of every paged list route: the page's items and where they stand in the whole. */
export interface PageReply<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
  total_pages: number;
}

/** Builds a list route's reply from a page of items (`total_pages` rounds up; 0 when nothing matched). */
export function pageReply<T>(items: T[], total: number, page: number, pageSize: number): PageReply<T> {
  return { items, total, page, page_size: pageSize, total_pages: Math.ceil(total / pageSize) };
}

/** The same reply for a list whose total may be an estimate, flagged by `total_is_estimate` (placed after `total`). */
export function estimatedPageReply<T>(items: T[], total: number, totalIsEstimate: boolean, page: number, pageSize: number): PageReply<T> & { total_is_estimate: boolean } {
  return { items, total, total_is_estimate: totalIsEstimate, page, page_size: pageSize, total_pages: Math.ceil(total / pageSize) };
}
