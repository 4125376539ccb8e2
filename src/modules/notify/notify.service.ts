import type { Logger } from 'pino';
import type { JobEngine } from '../../jobs/engine.js';
import { isLiveEventType, type LiveEventType } from '../live/live.events.js';
import { isWebhookEventType, type WebhookEventType } from '../webhooks/webhook-events.js';
import type { WebhooksService } from '../webhooks/webhooks.service.js';

/** Every domain event: the webhook catalogue and the live stream's (console) events. */
export type DomainEventType = WebhookEventType | LiveEventType;

/**
 * The domain event bus: services call `deps.notify(type, payload)` after their change is committed.
 * Webhook event types become a delivery for every enabled webhook subscribed to them (and the
 * delivery job is nudged); live event types are published to the live stream of every replica
 * (GET /api/v1/events/stream). A change that matters to both emits both (e.g. `sim.status_changed`
 * for webhooks and `sim.updated` for consoles), each with the payload its consumers expect.
 *
 * Never rejects (a failed notification is logged, never fails the caller's request), so callers may
 * skip awaiting it. Do not await it inside an open transaction on embedded PGlite: it needs the one
 * connection the transaction holds.
 */
export type Notify = ((type: DomainEventType, payload: Record<string, unknown>) => Promise<void>) & {
  /**
   * Several events at once, in order: live events stored and broadcast in one transaction (see
   * `LiveHub.publishMany`), webhooks as with one call each. Optional, so a plain function is a Notify.
   */
  many?: (events: ReadonlyArray<{ type: DomainEventType; payload: Record<string, unknown> }>) => Promise<void>;
};

/**
 * How long the set of subscribed event types is cached. A subscription change made through this
 * process's webhooks service is seen at once (`subscriptionsVersion`); one made on another replica
 * is seen here within this long.
 */
const SUBSCRIBED_TTL_MS = 5_000;

export interface NotifierDeps {
  webhooks: Pick<WebhooksService, 'enqueue' | 'subscribedTypes' | 'subscriptionsVersion'>;
  jobs: Pick<JobEngine, 'send' | 'started'>;
  /** The live stream's publisher (src/modules/live); it never rejects. */
  live?: {
    publish(type: LiveEventType, data: Record<string, unknown>): Promise<void>;
    publishMany?(events: ReadonlyArray<{ type: LiveEventType; data: Record<string, unknown> }>): Promise<void>;
  };
  logger: Logger;
  /** How long the subscribed event types are cached (default 5 s). */
  subscribedTtlMs?: number;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
}

/** Creates `deps.notify`. */
export function createNotifier(deps: NotifierDeps): Notify {
  const ttlMs = deps.subscribedTtlMs ?? SUBSCRIBED_TTL_MS;
  const now = deps.now ?? Date.now;
  let subscribed: { types: Set<string>; at: number; version: number } | undefined;

  const isSubscribed = async (type: string) => {
    // Read before the load: a change committed while it runs makes the next call load again.
    const version = deps.webhooks.subscriptionsVersion();
    if (subscribed === undefined || subscribed.version !== version || now() - subscribed.at > ttlMs) {
      subscribed = { types: await deps.webhooks.subscribedTypes(), at: now(), version };
    }
    return subscribed.types.has(type);
  };

  const toWebhooks = async (type: WebhookEventType, payload: Record<string, unknown>) => {
    try {
      // Most events have no subscriber; skip the insert round trip for them.
      if (!(await isSubscribed(type))) return;
      const created = await deps.webhooks.enqueue(type, payload);
      if (created > 0 && deps.jobs.started) {
        // 'webhook-deliver' is a stately queue: while a run is already queued this is a no-op.
        await deps.jobs.send('webhook-deliver', {});
      }
    } catch (error) {
      deps.logger.error({ err: error, event_type: type }, 'could not record a webhook event');
    }
  };

  const notify: Notify = async (type, payload) => {
    if (isWebhookEventType(type)) await toWebhooks(type, payload);
    if (isLiveEventType(type)) await deps.live?.publish(type, payload);
  };
  notify.many = async (events) => {
    const live: Array<{ type: LiveEventType; data: Record<string, unknown> }> = [];
    for (const { type, payload } of events) {
      if (isWebhookEventType(type)) await toWebhooks(type, payload);
      if (isLiveEventType(type)) live.push({ type, data: payload });
    }
    const hub = deps.live;
    if (hub?.publishMany !== undefined) await hub.publishMany(live);
    else for (const e of live) await hub?.publish(e.type, e.data);
  };
  return notify;
}
