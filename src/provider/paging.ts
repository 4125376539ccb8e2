/**
 * Paging of 1NCE listings, in one place: page-size clamping, one page decoded from a response
 * (items plus 1NCE's X-Current-Page / X-Count-Per-Page / X-Total-Pages / X-Total-Count headers),
 * and the ordered page prefetch that walks a whole listing with a few pages in flight.
 */
import { decodeList, toInt } from './decode.js';
import type { ProviderPage } from './provider.types.js';
import { walkPages, type WalkOptions } from '../lib/prefetch.js';

/** A requested page size within [1, max]; `fallback` when none (or a non-number) was asked for. */
export function clampPageSize(size: number | undefined, fallback: number, max: number): number {
  if (size === undefined || !Number.isFinite(size)) return fallback;
  return Math.min(max, Math.max(1, Math.floor(size)));
}

/** A requested page number, 1 or more (default 1). */
export function pageNumber(page: number | undefined): number {
  return Math.max(1, Math.floor(page ?? 1));
}

/**
 * One page from a list body already unwrapped: undecodable items are dropped (and reported through
 * `onInvalid`) rather than failing the page; the headers give the position, falling back to what
 * was asked for.
 */
export function pageFromList<T>(
  body: unknown,
  headers: Headers,
  decoder: (item: unknown) => T,
  asked: { page: number; pageSize: number },
  onInvalid: (index: number, error: Error) => void,
): ProviderPage<T> {
  const { items, invalid } = decodeList(body, decoder, onInvalid);
  return {
    items,
    page: toInt(headers.get('x-current-page')) ?? asked.page,
    pageSize: toInt(headers.get('x-count-per-page')) ?? asked.pageSize,
    totalPages: toInt(headers.get('x-total-pages')),
    totalCount: toInt(headers.get('x-total-count')),
    invalid,
  };
}

export type PrefetchOptions = WalkOptions;

/**
 * Every item of a listing, in page order, with up to `concurrency` pages in flight ahead of the
 * consumer (the page walk of src/lib/prefetch.ts, which the fleet sweep uses page by page). Page 1
 * comes first and tells how many pages there are; without X-Total-Pages (1NCE always sends it; this
 * is for safety) pages are walked one by one until a short page. Stopping early (or an error) aborts
 * the pages already requested.
 */
export async function* prefetchPages<T>(
  fetchPage: (n: number, signal: AbortSignal) => Promise<ProviderPage<T>>,
  options: PrefetchOptions,
): AsyncIterableIterator<T> {
  for await (const page of walkPages(fetchPage, options)) yield* page.items;
}
