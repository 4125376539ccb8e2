import type { QueryClient } from '@tanstack/react-query';
import { currentAccessToken, refreshSession } from '../auth/session';
import { openStream, type ConnectionState, type SseMessage } from './sse';

/**
 * The console's live feed: one stream per signed-in tab. Events refresh the queries they affect
 * (coalesced, so a burst of usage updates costs one refetch) and are handed to subscribers
 * (bulk progress bars, the live indicator).
 */

export interface LiveEvent {
  type: string;
  id: string | undefined;
  data: Record<string, unknown>;
}

type Listener = (event: LiveEvent) => void;

const listeners = new Set<Listener>();
const stateListeners = new Set<() => void>();
let state: ConnectionState = 'closed';

export function liveState(): ConnectionState {
  return state;
}

export function onLiveState(listener: () => void): () => void {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}

/** Subscribes to every live event; returns the unsubscribe function. */
export function onLiveEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Query keys an event makes stale. */
export function staleKeys(event: LiveEvent): unknown[][] {
  const iccid = typeof event.data.iccid === 'string' ? event.data.iccid : undefined;
  switch (event.type) {
    case 'sim.updated':
      return [['sims'], ...(iccid === undefined ? [] : [['sim', iccid]])];
    case 'usage.updated':
      return [['fleet'], ...(iccid === undefined ? [] : [['usage', iccid], ['quota', iccid]])];
    case 'alert.raised':
    case 'alert.acknowledged':
    case 'alert.resolved':
      return [['alerts'], ['fleet']];
    case 'bulk.progress':
    case 'bulk.finished':
      return [['bulk-jobs'], ...(event.type === 'bulk.finished' ? [['sims'], ['fleet']] : [])];
    case 'sync.progress':
    case 'sync.finished':
      return [['scheduler'], ...(event.type === 'sync.finished' ? [['fleet'], ['sims']] : [])];
    default:
      return [];
  }
}

/** Starts the feed for the signed-in session; returns the stop function. */
export function startLive(queryClient: QueryClient): () => void {
  const pending = new Map<string, unknown[]>();
  let flush: ReturnType<typeof setTimeout> | undefined;
  const invalidate = (keys: unknown[][]) => {
    for (const key of keys) pending.set(JSON.stringify(key), key);
    flush ??= setTimeout(() => {
      flush = undefined;
      const keys = [...pending.values()];
      pending.clear();
      for (const queryKey of keys) void queryClient.invalidateQueries({ queryKey });
    }, 300);
  };

  const onMessage = (message: SseMessage) => {
    let data: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(message.data);
      if (parsed !== null && typeof parsed === 'object') data = parsed as Record<string, unknown>;
    } catch {
      return; // heartbeats or foreign payloads carry nothing to act on
    }
    const event: LiveEvent = { type: message.event, id: message.id, data };
    invalidate(staleKeys(event));
    for (const listener of listeners) listener(event);
  };

  const stop = openStream({
    url: '/api/v1/events/stream',
    token: async () => currentAccessToken(),
    onMessage,
    onState: (next) => {
      state = next;
      for (const listener of stateListeners) listener();
    },
    onUnauthorized: () => refreshSession(),
  });
  return () => {
    stop();
    if (flush !== undefined) clearTimeout(flush);
  };
}
