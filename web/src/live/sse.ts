/**
 * A server-sent-events reader over fetch, so the stream can carry `Authorization: Bearer`
 * (EventSource cannot send headers). Parses the text/event-stream format incrementally.
 */

export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/** Incremental parser: feed it chunks of text, it calls `onMessage` for every complete event. */
export function createSseParser(onMessage: (message: SseMessage) => void, onRetry?: (ms: number) => void) {
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;

  const dispatch = () => {
    if (data.length > 0) onMessage({ id, event: event || 'message', data: data.join('\n') });
    data = [];
    event = '';
  };

  const line = (text: string) => {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return; // comment: heartbeat
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) onRetry?.(Number(value));
  };

  return {
    push(chunk: string) {
      buffer += chunk;
      let index: number;
      while ((index = buffer.search(/\r\n|\r|\n/)) !== -1) {
        const newline = buffer[index] === '\r' && buffer[index + 1] === '\n' ? 2 : 1;
        // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
        if (buffer[index] === '\r' && index === buffer.length - 1) break;
        line(buffer.slice(0, index));
        buffer = buffer.slice(index + newline);
      }
    },
    get lastEventId() {
      return id;
    },
  };
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StreamOptions {
  url: string;
  /** Called before each (re)connect for the current bearer token; null stops the stream. */
  token: () => Promise<string | null>;
  onMessage: (message: SseMessage) => void;
  onState: (state: ConnectionState) => void;
  /** A 401 mid-session: refresh and say whether to try again. */
  onUnauthorized: () => Promise<boolean>;
}

/**
 * Keeps a stream open: reconnects with exponential backoff and jitter (1 s doubling to 30 s),
 * resuming from the last event id with `Last-Event-ID`. Returns a stop function.
 */
export function openStream(options: StreamOptions): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  let lastId: string | undefined;
  let attempt = 0;
  let serverRetry: number | undefined;
  let wake: (() => void) | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const run = async () => {
    while (!stopped) {
      options.onState(attempt === 0 ? 'connecting' : 'reconnecting');
      const token = await options.token();
      if (token === null || stopped) break;
      controller = new AbortController();
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `Bearer ${token}` };
        if (lastId !== undefined) headers['last-event-id'] = lastId;
        const response = await fetch(options.url, { headers, signal: controller.signal, cache: 'no-store' });
        if (response.status === 401 && (await options.onUnauthorized())) continue;
        if (!response.ok || response.body === null) throw new Error(`stream answered ${response.status}`);
        attempt = 0;
        options.onState('open');
        const parser = createSseParser(
          (message) => {
            lastId = message.id ?? lastId;
            options.onMessage(message);
          },
          (ms) => (serverRetry = ms),
        );
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.push(value);
        }
      } catch {
        if (stopped) break;
      }
      if (stopped) break;
      attempt += 1;
      const base = serverRetry ?? 1000;
      const delay = Math.min(30_000, base * 2 ** Math.min(attempt - 1, 5));
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
    options.onState('closed');
  };
  void run();

  return () => {
    stopped = true;
    controller?.abort();
    wake?.();
  };
}
