import type { Logger } from 'pino';
import type { Database, Listener } from '../../db/client.js';
import { LIVE_EVENT_AUDIENCE, type LiveEvent, type LiveEventType } from './live.events.js';
import { createLiveRepo, type LiveEventRow } from './live.repo.js';

/** How long events stay replayable (Last-Event-ID), and how many one resume may replay. */
export const REPLAY_WINDOW_MS = 5 * 60_000;
export const REPLAY_LIMIT = 1_000;
/** The buffer never keeps more rows than this, whatever the event rate. */
const BUFFER_MAX_ROWS = 10_000;
/** Each process prunes the buffer at most this often (on publish). */
const PRUNE_EVERY_MS = 30_000;

export type LiveSubscriber = (event: LiveEvent) => void;

/** What a resuming client is owed: the events after its id, or a resynchronisation when some are gone. */
export interface Replay {
  events: LiveEvent[];
  /** False when events after `afterId` were pruned, exceed the replay limit, or the id is unknown. */
  complete: boolean;
  /** The newest event id the replay saw (the cursor after it). */
  newestId: number;
}

export interface LiveHubOptions {
  database: Database;
  logger: Pick<Logger, 'warn' | 'error'>;
  replayWindowMs?: number;
  replayLimit?: number;
}

const toEvent = (row: LiveEventRow): LiveEvent => ({
  id: Number(row.id),
  type: row.type,
  minRole: row.min_role,
  data: row.data,
  at: new Date(row.created_at).toISOString(),
});

/**
 * The live event bus across replicas. `publish` stores an event in `live_events` and NOTIFYs it in
 * the same transaction (ids taken under an advisory lock, so they commit in order); every process
 * LISTENs on one connection and hands each event, once and in id order, to its local subscribers
 * (the open SSE streams). PostgreSQL carries it to every replica; on PGlite the same NOTIFY is
 * delivered in-process. The table doubles as the bounded replay buffer for Last-Event-ID.
 */
export function createLiveHub(options: LiveHubOptions) {
  const { database, logger } = options;
  const repo = createLiveRepo(database.db);
  const windowMs = options.replayWindowMs ?? REPLAY_WINDOW_MS;
  const replayLimit = options.replayLimit ?? REPLAY_LIMIT;
  const subscribers = new Set<LiveSubscriber>();
  let channel: Promise<string> | undefined;
  let listening: Promise<void> | undefined;
  let listener: Listener | undefined;
  let stopped = false;
  let lastId = 0;
  let lastPrune = 0;
  // Notifications, catch-ups and read-backs run one after another, so dispatch stays in id order.
  let chain: Promise<void> = Promise.resolve();

  /** One channel per database schema: isolated deployments (and test schemas) never hear each other. */
  const channelName = () => (channel ??= repo.channelName());

  const serially = (task: () => Promise<void> | void) => {
    chain = chain.then(task).catch((error: unknown) => logger.error({ err: error }, 'live events: dispatch failed'));
    return chain;
  };

  const dispatch = (event: LiveEvent) => {
    if (event.id <= lastId) return;
    lastId = event.id;
    for (const subscriber of subscribers) {
      try {
        subscriber(event);
      } catch (error) {
        logger.error({ err: error }, 'live events: a subscriber failed');
      }
    }
  };

  const rowsAfter = async (afterId: number, limit: number) => (await repo.rowsAfter(afterId, limit)).map(toEvent);

  /** Delivers what was committed while the LISTEN connection was away (or before it started). */
  const catchUp = () =>
    serially(async () => {
      for (;;) {
        const rows = await rowsAfter(lastId, replayLimit);
        for (const event of rows) dispatch(event);
        if (rows.length < replayLimit) return;
      }
    });

  const onNotify = (payload: string) =>
    void serially(async () => {
      const parsed = JSON.parse(payload) as LiveEventRow & { ref?: true; at?: string };
      if (parsed.ref === true) {
        const row = await repo.byId(Number(parsed.id));
        if (row !== undefined) dispatch(toEvent(row));
        return;
      }
      dispatch(toEvent({ ...parsed, created_at: parsed.at ?? new Date().toISOString() }));
    });

  const ensureListening = () =>
    (listening ??= (async () => {
      const name = await channelName();
      lastId = Math.max(lastId, await repo.newestId());
      listener = await database.listen(name, {
        onNotify,
        onReconnect: () => void catchUp(),
        onError: (error) => logger.warn({ err: { message: error.message } }, 'live events: LISTEN connection lost; reconnecting'),
      });
      if (stopped) await listener.close();
      // Anything committed between reading the newest id and LISTEN taking effect.
      await catchUp();
    })().catch((error: unknown) => {
      listening = undefined;
      throw error;
    }));

  /** Prunes the buffer when this process has not for a while (on publish). */
  const pruneNow = async () => {
    if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = Date.now();
      await repo.prune(windowMs, BUFFER_MAX_ROWS);
    }
  };

  return {
    /**
     * Stores and broadcasts one event; never rejects (a failure is logged and the caller's change
     * stands). Call it after the change is committed, and not inside an open transaction on PGlite.
     */
    async publish(type: LiveEventType, data: Record<string, unknown>): Promise<void> {
      try {
        const name = await channelName();
        await repo.insertAndNotify(name, { type, min_role: LIVE_EVENT_AUDIENCE[type], data });
        await pruneNow();
      } catch (error) {
        logger.error({ err: error, event_type: type }, 'live events: could not publish an event');
      }
    },

    /**
     * Stores and broadcasts several events in one transaction, ids in list order: what `publish`
     * does once per event. A Data Streamer batch can move the connectivity of thousands of SIMs;
     * one transaction (one commit) per event made announcing a batch take longer than storing it.
     * Never rejects.
     */
    async publishMany(events: ReadonlyArray<{ type: LiveEventType; data: Record<string, unknown> }>): Promise<void> {
      if (events.length === 0) return;
      try {
        const name = await channelName();
        await repo.insertManyAndNotify(
          name,
          events.map((e) => ({ type: e.type, min_role: LIVE_EVENT_AUDIENCE[e.type], data: e.data })),
        );
        await pruneNow();
      } catch (error) {
        logger.error({ err: error, events: events.length }, 'live events: could not publish events');
      }
    },

    /**
     * Adds a local subscriber (once this process listens); returns the id it starts after and the
     * function that removes it. Events reach subscribers once each, in id order.
     */
    async subscribe(subscriber: LiveSubscriber): Promise<{ startAfter: number; unsubscribe: () => void }> {
      if (stopped) throw new Error('the live event hub is stopped');
      await ensureListening();
      // Wait for dispatches already queued, so `startAfter` is exactly where this subscriber begins.
      await serially(() => undefined);
      subscribers.add(subscriber);
      return { startAfter: lastId, unsubscribe: () => void subscribers.delete(subscriber) };
    },

    /** The events after `afterId` still in the buffer (at most the replay limit). */
    async replay(afterId: number): Promise<Replay> {
      const [prunedThrough, rows, newest] = await Promise.all([repo.prunedThrough(), rowsAfter(afterId, replayLimit + 1), repo.newestId()]);
      const known = Math.max(prunedThrough, newest);
      const events = rows.slice(0, replayLimit);
      const complete = afterId >= prunedThrough && rows.length <= replayLimit && afterId <= known;
      return { events: complete ? events : [], complete, newestId: Math.max(known, events.at(-1)?.id ?? 0) };
    },

    /** The newest id dispatched to local subscribers. */
    lastId: () => lastId,

    /** Stops listening and drops every subscriber. */
    async stop(): Promise<void> {
      stopped = true;
      subscribers.clear();
      const current = listener;
      listener = undefined;
      await current?.close();
    },
  };
}

export type LiveHub = ReturnType<typeof createLiveHub>;
