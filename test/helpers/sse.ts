/** One parsed server-sent event. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: unknown;
}

/** A live event stream read over real HTTP with fetch (as the console reads it). */
export interface SseClient {
  status: number;
  headers: Headers;
  /** Resolves with the next event (of `type`, skipping others) or rejects after `timeoutMs`. */
  next(type?: string, timeoutMs?: number): Promise<SseEvent>;
  /** Every comment line seen so far (keepalive, closed ...). */
  comments: string[];
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Opens `url` and parses its text/event-stream body incrementally. */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let waiters: Array<() => void> = [];
  const wake = () => {
    const current = waiters;
    waiters = [];
    for (const w of current) w();
  };
  let buffer = '';
  let done = false;
  const ended = (async () => {
    if (response.body === null) return;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) break;
        buffer += decoder.decode(value, { stream: true });
        let split: number;
        while ((split = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          const event: { id?: string; event?: string; data?: string } = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) event.data = (event.data === undefined ? '' : `${event.data}\n`) + line.slice(6);
          }
          if (event.event !== undefined || event.data !== undefined) {
            events.push({ id: event.id, event: event.event ?? 'message', data: event.data === undefined ? undefined : JSON.parse(event.data) });
          }
          wake();
        }
      }
    } catch {
      // Aborted by close().
    } finally {
      done = true;
      wake();
    }
  })();

  return {
    status: response.status,
    headers: response.headers,
    comments,
    ended,
    async next(type, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = events.findIndex((e) => type === undefined || e.event === type);
        if (index >= 0) return events.splice(index, 1)[0]!;
        if (done) throw new Error(`stream ended before a ${type ?? 'any'} event`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ${type ?? 'any'} event within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () => controller.abort(),
  };
}
