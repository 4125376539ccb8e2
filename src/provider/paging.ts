import type { ProviderPage } from './provider.types.js';

/**
 * Every page of a paged 1NCE listing, in order. While one page is being consumed, up to
 * `concurrency` later pages are already requested (the governor still paces them at 1NCE's rate).
 * Without a page count (1NCE always sends X-Total-Pages; this is for safety) pages are walked one
 * by one until a short page. Used by the client's `listSims` and the fleet sweep.
 */
export async function* prefetchPages<T>(
  fetchPage: (page: number) => Promise<ProviderPage<T>>,
  options: { pageSize: number; concurrency: number },
): AsyncGenerator<ProviderPage<T>, void, undefined> {
  const first = await fetchPage(1);
  yield first;
  const total = first.totalPages;
  if (total === null) {
    for (let n = 2, last = first; last.items.length + last.invalid >= options.pageSize; n++) {
      last = await fetchPage(n);
      yield last;
    }
    return;
  }
  const pending = new Map<number, Promise<ProviderPage<T>>>();
  let next = 2;
  const fill = () => {
    while (pending.size < options.concurrency && next <= total) {
      const promise = fetchPage(next);
      promise.catch(() => undefined); // awaited in order below; avoid an unhandled rejection meanwhile
      pending.set(next++, promise);
    }
  };
  try {
    for (let n = 2; n <= total; n++) {
      fill();
      const page = await pending.get(n)!;
      pending.delete(n);
      fill();
      yield page;
    }
  } finally {
    pending.clear();
  }
}
