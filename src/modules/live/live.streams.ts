import type { Logger } from 'pino';
import type { UserRole } from '../../db/schema.js';
import { AppError, ServiceUnavailable, TooManyRequests } from '../../errors.js';
import { roleSatisfies } from '../users/roles.js';
import type { LiveEvent } from './live.events.js';
import type { LiveHub } from './live.hub.js';

/** Where a stream writes: the HTTP response, seen through what the stream needs of it. */
export interface LiveSink {
  /** Writes a chunk; the return value is ignored (back-pressure is read from `buffered`). */
  write(chunk: string): void;
  /** Bytes written but not yet flushed to the client. */
  buffered(): number;
  end(): void;
  /** Called once when the client goes away (or the sink is ended). */
  onClose(listener: () => void): void;
}

/** Who the stream is for, re-checked at every heartbeat. */
export interface StreamCaller {
  /** Streams are counted per user (all of a user's API keys and sessions together). */
  userId: number;
  role: UserRole;
}

export interface OpenStreamOptions {
  caller: StreamCaller;
  /** The Last-Event-ID the client resumes from; undefined for a fresh stream. */
  lastEventId: number | undefined;
  /**
   * Re-authenticates the credential the stream was opened with: resolves to the caller's current
   * role, throws when the credential was revoked, expired or the user deactivated.
   */
  revalidate(): Promise<StreamCaller>;
}

export interface LiveStreamsOptions {
  hub: LiveHub;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  maxPerUser: number;
  heartbeatMs: number;
  /** A client that lets this much pile up unread is disconnected (it resumes with Last-Event-ID). */
  maxBufferedBytes?: number;
  /** Counts open streams (a gauge) and sent events. */
  observer?: { opened(): void; closed(reason: string): void; sent(type: string): void };
}

/** Milliseconds the client waits before reconnecting (the SSE `retry:` field). */
export const RETRY_MS = 3_000;
const MAX_BUFFERED_BYTES = 1_048_576;

/** One server-sent event in wire format. Data is one line of JSON (JSON.stringify never emits newlines). */
export function formatEvent(event: { id?: number; type: string; data: unknown }): string {
  return `${event.id === undefined ? '' : `id: ${event.id}\n`}event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** A prepared stream: `attach` it to the response once the 200 headers are sent. */
export interface PendingStream {
  attach(sink: LiveSink): void;
  /** Gives the slot back when the response could not be started. */
  abandon(): void;
}

/**
 * The open live streams of this process: per-user limits, replay and resynchronisation, role
 * filtering, heartbeats that re-check the credential, back-pressure and shutdown.
 */
export function createLiveStreams(options: LiveStreamsOptions) {
  const { hub, logger } = options;
  const maxBuffered = options.maxBufferedBytes ?? MAX_BUFFERED_BYTES;
  const perUser = new Map<number, number>();
  const open = new Set<{ close(reason: string): void }>();
  let closing = false;

  const release = (userId: number) => {
    const n = (perUser.get(userId) ?? 1) - 1;
    if (n <= 0) perUser.delete(userId);
    else perUser.set(userId, n);
  };

  return {
    /**
     * Reserves a stream for the caller and prepares what it is owed (replay after Last-Event-ID).
     * Throws 429 `too_many_streams` over the per-user limit, 503 while shutting down; nothing is
     * written until `attach`.
     */
    async prepare(request: OpenStreamOptions): Promise<PendingStream> {
      if (closing) throw new ServiceUnavailable('The server is shutting down; reconnect to another instance', 'shutting_down', 1);
      const { userId } = request.caller;
      const count = perUser.get(userId) ?? 0;
      if (count >= options.maxPerUser) {
        throw new TooManyRequests(
          5,
          `At most ${options.maxPerUser} live streams per user may be open at once on this instance; close one first`,
          'too_many_streams',
        );
      }
      perUser.set(userId, count + 1);

      let caller = request.caller;
      const queued: LiveEvent[] = [];
      let sink: LiveSink | undefined;
      let cursor = 0;
      let released = false;
      let heartbeat: NodeJS.Timeout | undefined;
      let unsubscribe: () => void = () => undefined;

      const send = (event: LiveEvent) => {
        if (event.id <= cursor) return;
        cursor = event.id;
        if (!roleSatisfies(caller.role, event.minRole)) return;
        sink!.write(formatEvent({ id: event.id, type: event.type, data: event.data }));
        options.observer?.sent(event.type);
        if (sink!.buffered() > maxBuffered) stream.close('slow_client');
      };

      const stream = {
        close(reason: string) {
          if (released) return;
          released = true;
          clearInterval(heartbeat);
          unsubscribe();
          open.delete(stream);
          release(userId);
          if (sink !== undefined) {
            options.observer?.closed(reason);
            // A comment, ignored by SSE parsers, says why; the client reconnects with Last-Event-ID.
            sink.write(`: closed ${reason}\n\n`);
            sink.end();
          }
        },
      };

      try {
        const subscription = await hub.subscribe((event) => {
          if (released) return;
          if (sink === undefined) queued.push(event);
          else send(event);
        });
        unsubscribe = subscription.unsubscribe;
        let preface = `retry: ${RETRY_MS}\n: connected\n\n`;
        if (request.lastEventId === undefined) {
          cursor = subscription.startAfter;
        } else {
          const replay = await hub.replay(request.lastEventId);
          if (replay.complete) {
            cursor = request.lastEventId;
            queued.unshift(...replay.events);
          } else {
            // Events after the client's id are gone (pruned, too many, or an id from elsewhere):
            // tell it to reload its state; the id moves its cursor to now.
            cursor = Math.max(replay.newestId, subscription.startAfter);
            preface += formatEvent({ id: cursor, type: 'resync', data: { reason: 'events after Last-Event-ID are no longer available' } });
          }
        }
        open.add(stream);

        return {
          attach(target) {
            sink = target;
            options.observer?.opened();
            target.onClose(() => stream.close('client_closed'));
            target.write(preface);
            for (const event of queued.splice(0).sort((a, b) => a.id - b.id)) if (!released) send(event);
            heartbeat = setInterval(() => {
              if (released) return;
              sink!.write(': keepalive\n\n');
              request.revalidate().then(
                (current) => {
                  caller = current;
                },
                (error: unknown) => {
                  if (error instanceof AppError && (error.status === 401 || error.status === 403)) stream.close('credential_invalid');
                  // Anything else (a database hiccup) is not the caller's fault: keep streaming.
                  else logger.warn({ err: error }, 'live stream: could not re-check the credential');
                },
              );
            }, options.heartbeatMs);
            heartbeat.unref();
          },
          abandon: () => stream.close('not_started'),
        };
      } catch (error) {
        stream.close('failed');
        throw error;
      }
    },

    /** Open streams of this process. */
    count: () => open.size,

    /** Ends every stream (shutdown) and refuses new ones; clients reconnect elsewhere with Last-Event-ID. */
    closeAll(reason = 'shutting_down'): void {
      closing = true;
      for (const stream of [...open]) stream.close(reason);
    },
  };
}

export type LiveStreams = ReturnType<typeof createLiveStreams>;
