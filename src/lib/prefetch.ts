/** What the walk needs to know of a page: its items, how many items were dropped, how many pages there are. */
export interface WalkedPage {
  items: readonly unknown[];
  /** Items of the page that could not be decoded (they still count towards a full page). */
  invalid: number;
  /** Pages in the whole listing; null when the source did not say. */
  totalPages: number | null;
}

export interface WalkOptions {
  /** Items per page asked for (a page shorter than this ends a walk without a page count). */
  pageSize: number;
  /** Pages requested ahead while earlier ones are consumed (at least 1). */
  concurrency: number;
  /** First page to read (default 1): a walk that stopped part-way resumes there. */
  fromPage?: number | undefined;
  /** Stops the walk; pages already requested are aborted too. */
  signal?: AbortSignal | undefined;
}

/**
 * Every page of a paged listing, in order, with up to `concurrency` later pages already requested
 * while one is consumed (a rate governor, if any, still paces them). The first page (`fromPage`,
 * default 1) comes first and tells how many pages there are; without a count, pages are walked one by one until a short page.
 * Stopping early (or an error) aborts the pages already requested. The 1NCE client's listing of
 * every SIM and the fleet sweep (src/modules/sims/sims.sync.ts) both walk pages with it.
 */
export async function* walkPages<P extends WalkedPage>(
  fetchPage: (page: number, signal: AbortSignal) => Promise<P>,
  options: WalkOptions,
): AsyncGenerator<P, void, undefined> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  // Our own controller stops prefetched pages when the consumer stops early.
  const controller = new AbortController();
  const signal =
    options.signal === undefined ? controller.signal : AbortSignal.any([options.signal, controller.signal]);
  const pending = new Map<number, Promise<P>>();
  const from = Math.max(1, Math.floor(options.fromPage ?? 1));
  try {
    const first = await fetchPage(from, signal);
    yield first;
    const total = first.totalPages;
    if (total === null) {
      for (let n = from + 1, last = first; last.items.length + last.invalid >= options.pageSize; n++) {
        last = await fetchPage(n, signal);
        yield last;
      }
      return;
    }
    let next = from + 1;
    const fill = () => {
      while (pending.size < concurrency && next <= total) {
        const promise = fetchPage(next, signal);
        promise.catch(() => undefined); // awaited in order below; avoid an unhandled rejection meanwhile
        pending.set(next++, promise);
      }
    };
    for (let n = from + 1; n <= total; n++) {
      fill();
      const page = await pending.get(n)!;
      pending.delete(n);
      fill();
      yield page;
    }
  } finally {
    pending.clear();
    controller.abort();
  }
}
