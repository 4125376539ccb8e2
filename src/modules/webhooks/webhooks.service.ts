import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { DB, WebhookDeliveryStatus } from '../../db/schema.js';
import { NotFound, ValidationError } from '../../errors.js';
import type { BackgroundMetrics } from '../../metrics/background.js';
import type { SecretBox } from '../accounts/secret-box.js';
import { asDate, isoOrNull, isoTime } from '../../lib/time.js';
import { isWebhookEventType, TEST_EVENT_TYPE, WEBHOOK_EVENT_TYPES, type WebhookEnvelope } from './webhook-events.js';
import { createWebhookPoster, type WebhookPost } from './webhook-client.js';
import { signWebhook, WEBHOOK_HEADERS } from './webhook-signature.js';
import type { WebhookTargetPolicy } from './webhook-target.js';
import { createWebhooksRepo, type DeliveryRow, type SubscriptionRow } from './webhooks.repo.js';
import type { DeliveryDto, WebhookDto } from './webhooks.schemas.js';
import { pageReply } from '../../db/paging.js';

/** A delivery is retried with backoff for this long after the event, then given up ('dead'). */
export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** First retry after 30 s, each next one 4x later, capped at 4 h: about 10 attempts in 24 h. */
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 4 * 60 * 60 * 1000;
/** A receiver gets this long to answer; 1NCE-style receivers should ack fast and work later. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** Deliveries attempted in parallel by one worker. */
const DELIVERY_CONCURRENCY = 8;

export type { DeliveryDto, WebhookDto } from './webhooks.schemas.js';

export interface WebhookInput {
  url: string;
  secret?: string | undefined;
  events: string[];
  description?: string | null | undefined;
  enabled?: boolean | undefined;
}

export interface WebhooksServiceDeps {
  db: Kysely<DB>;
  secretBox: SecretBox;
  logger: Logger;
  metrics: BackgroundMetrics['webhooks'];
  /** Which receivers are allowed (SSRF protection: WEBHOOK_ALLOWED_HOSTS, WEBHOOK_ALLOW_PRIVATE). */
  targets: WebhookTargetPolicy;
  /** Injected for tests; defaults to the guarded client of webhook-client.ts. */
  post?: WebhookPost;
  now?: () => Date;
}


function toDto(row: SubscriptionRow): WebhookDto {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    enabled: row.enabled,
    description: row.description,
    consecutive_failures: row.consecutive_failures,
    last_success_at: isoOrNull(row.last_success_at),
    last_failure_at: isoOrNull(row.last_failure_at),
    disabled_at: isoOrNull(row.disabled_at),
    disabled_reason: row.disabled_reason,
    created_at: isoTime(row.created_at),
    updated_at: isoTime(row.updated_at),
  };
}

function toDeliveryDto(row: DeliveryRow): DeliveryDto {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === 'pending' || row.status === 'failed' ? isoOrNull(row.next_attempt_at) : null,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    response_ms: row.response_ms,
    created_at: isoTime(row.created_at),
    delivered_at: isoOrNull(row.delivered_at),
    payload: row.payload,
  };
}

function validateEvents(events: string[]): string[] {
  const unknown = events.filter((e) => !isWebhookEventType(e));
  if (unknown.length > 0) {
    throw new ValidationError(`Unknown event types: ${unknown.join(', ')}. Known: ${WEBHOOK_EVENT_TYPES.join(', ')}`, [
      { field: '/body/events', message: `unknown: ${unknown.join(', ')}` },
    ]);
  }
  return [...new Set(events)];
}

function validateUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError('url is not a valid URL', [{ field: '/body/url', message: 'not a valid URL' }]);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ValidationError('url must use http or https', [{ field: '/body/url', message: 'must use http or https' }]);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ValidationError('url must not carry credentials; the signature authenticates deliveries', [{ field: '/body/url', message: 'credentials not allowed' }]);
  }
  return parsed.toString();
}

/** Delay before retry number `attempts` (1 = after the first failure), with +-10 % jitter. */
export function retryDelayMs(attempts: number, random = Math.random): number {
  const base = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 4 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.9 + random() * 0.2));
}

/** Outcome of one delivery attempt. */
export interface AttemptResult {
  delivered: boolean;
  status_code: number | null;
  error: string | null;
  response_ms: number;
}

/**
 * Outgoing webhooks: subscriptions (secrets sealed with the secret box), the delivery log, and
 * delivery itself: signed POSTs, retried with exponential backoff for 24 hours, after which the
 * delivery is dead and the subscription disabled (persistent failure) until an admin re-enables it.
 */
export function createWebhooksService(deps: WebhooksServiceDeps) {
  const repo = createWebhooksRepo(deps.db);
  const doPost = deps.post ?? createWebhookPoster(deps.targets);

  /** The normalised URL, refused (422 webhook_url_forbidden) when it points at a forbidden receiver. */
  const allowedUrl = async (url: string): Promise<string> => {
    const normalised = validateUrl(url);
    await deps.targets.assertUrlAllowed(normalised);
    return normalised;
  };
  const now = deps.now ?? (() => new Date());
  /** Moves on with every subscription change made here, so this process's notifier re-reads them at once. */
  let subscriptionsVersion = 0;

  const mustFind = async (id: string) => {
    const row = await repo.findSubscription(id);
    if (row === undefined) throw new NotFound('webhook', id);
    return row;
  };

  /** POSTs one envelope to one subscription; never throws. */
  const post = async (subscription: SubscriptionRow, deliveryId: string, envelope: WebhookEnvelope): Promise<AttemptResult> => {
    const body = JSON.stringify(envelope);
    const timestamp = Math.floor(now().getTime() / 1000);
    const started = performance.now();
    try {
      const secret = deps.secretBox.decrypt(subscription.secret_ciphertext);
      const response = await doPost(subscription.url, {
        timeoutMs: DELIVERY_TIMEOUT_MS,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'simfleet-webhooks/1',
          [WEBHOOK_HEADERS.signature]: signWebhook(secret, timestamp, body),
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.event]: envelope.type,
          [WEBHOOK_HEADERS.delivery]: deliveryId,
        },
        body,
      });
      const ok = response.status >= 200 && response.status < 300;
      return {
        delivered: ok,
        status_code: response.status,
        error: ok ? null : `HTTP ${response.status}`,
        response_ms: Math.round(performance.now() - started),
      };
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      return {
        delivered: false,
        status_code: null,
        error: `${error instanceof Error ? error.message : String(error)}${cause}`.slice(0, 500),
        response_ms: Math.round(performance.now() - started),
      };
    }
  };

  const attempt = async (delivery: DeliveryRow): Promise<WebhookDeliveryStatus> => {
    const subscription = await repo.findSubscription(delivery.subscription_id);
    if (subscription === undefined) return 'dead';
    const envelope = delivery.payload as unknown as WebhookEnvelope;
    const result = await post(subscription, delivery.id, envelope);
    const attempts = delivery.attempts + 1;
    if (result.delivered) {
      await repo.recordAttempt(delivery.id, {
        status: 'delivered',
        attempts,
        next_attempt_at: null,
        last_status_code: result.status_code,
        last_error: null,
        response_ms: result.response_ms,
        delivered_at: now(),
      });
      await repo.recordSuccess(subscription.id);
      deps.metrics.deliveries.inc({ outcome: 'delivered' });
      return 'delivered';
    }
    const next = new Date(now().getTime() + retryDelayMs(attempts));
    const dead = next.getTime() > asDate(delivery.created_at).getTime() + RETRY_WINDOW_MS;
    await repo.recordAttempt(delivery.id, {
      status: dead ? 'dead' : 'failed',
      attempts,
      next_attempt_at: dead ? null : next,
      last_status_code: result.status_code,
      last_error: result.error,
      response_ms: result.response_ms,
      delivered_at: null,
    });
    const disable = dead ? `deliveries failed for 24 hours (last: ${result.error ?? 'unknown error'})` : undefined;
    await repo.recordFailure(subscription.id, disable);
    if (disable !== undefined) {
      subscriptionsVersion += 1;
      deps.logger.warn({ webhook_id: subscription.id, url: subscription.url }, 'webhook disabled after 24 hours of failed deliveries');
    }
    deps.metrics.deliveries.inc({ outcome: dead ? 'dead' : 'failed' });
    return dead ? 'dead' : 'failed';
  };

  return {
    async create(input: WebhookInput, userId: number | null): Promise<WebhookDto & { secret?: string }> {
      const generated = input.secret === undefined ? randomBytes(24).toString('base64url') : undefined;
      const url = await allowedUrl(input.url);
      const row = await repo.insertSubscription({
        url,
        secret_ciphertext: deps.secretBox.encrypt(input.secret ?? generated!),
        events: validateEvents(input.events),
        description: input.description ?? null,
        enabled: input.enabled ?? true,
        created_by_user_id: userId,
      });
      subscriptionsVersion += 1;
      // A generated secret is shown exactly once, here.
      return generated === undefined ? toDto(row) : { ...toDto(row), secret: generated };
    },

    async list(): Promise<WebhookDto[]> {
      return (await repo.listSubscriptions()).map(toDto);
    },

    async get(id: string): Promise<WebhookDto> {
      return toDto(await mustFind(id));
    },

    /** Changes a subscription; returns it as it was and as it is (the audit records both). */
    async update(id: string, patch: Partial<WebhookInput>): Promise<{ before: WebhookDto; after: WebhookDto }> {
      const current = await mustFind(id);
      const reenable = patch.enabled === true && !current.enabled;
      const url = patch.url === undefined ? undefined : await allowedUrl(patch.url);
      const row = await repo.updateSubscription(id, {
        ...(url !== undefined && { url }),
        ...(patch.secret !== undefined && { secret_ciphertext: deps.secretBox.encrypt(patch.secret) }),
        ...(patch.events !== undefined && { events: validateEvents(patch.events) }),
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.enabled !== undefined && { enabled: patch.enabled }),
        ...(reenable && { disabled_at: null, disabled_reason: null, consecutive_failures: 0 }),
        ...(patch.enabled === false && current.enabled && { disabled_at: now(), disabled_reason: 'disabled by an admin' }),
      });
      if (row === undefined) throw new NotFound('webhook', id);
      subscriptionsVersion += 1;
      return { before: toDto(current), after: toDto(row) };
    },

    /** Deletes a subscription; returns what it was (for the audit). */
    async remove(id: string): Promise<WebhookDto> {
      const current = await mustFind(id);
      if (!(await repo.deleteSubscription(id))) throw new NotFound('webhook', id);
      subscriptionsVersion += 1;
      return toDto(current);
    },

    async deliveries(id: string, filter: { status?: WebhookDeliveryStatus | undefined }, page: number, pageSize: number) {
      await mustFind(id);
      const { rows, total } = await repo.listDeliveries(id, filter, page, pageSize);
      return pageReply(rows.map(toDeliveryDto), total, page, pageSize);
    },

    /** Sends a `webhook.test` event now (even to a disabled subscription) and logs it; returns the outcome. */
    async test(id: string): Promise<DeliveryDto> {
      const subscription = await mustFind(id);
      const envelope: WebhookEnvelope = {
        id: randomUUID(),
        type: TEST_EVENT_TYPE,
        occurred_at: now().toISOString(),
        data: { webhook_id: id, message: 'Test delivery from the SIM fleet platform' },
      };
      const row = await repo.insertDelivery({ subscription_id: id, event_id: envelope.id, event_type: envelope.type, payload: JSON.stringify(envelope) });
      const result = await post(subscription, row.id, envelope);
      const updated = await repo.recordAttempt(row.id, {
        // A test is attempted once: its outcome is the answer, never a retry.
        status: result.delivered ? 'delivered' : 'dead',
        attempts: 1,
        next_attempt_at: null,
        last_status_code: result.status_code,
        last_error: result.error,
        response_ms: result.response_ms,
        delivered_at: result.delivered ? now() : null,
      });
      deps.metrics.deliveries.inc({ outcome: result.delivered ? 'delivered' : 'failed' });
      return toDeliveryDto(updated);
    },

    /**
     * Records one event for every enabled subscription to its type. Pass `trx` to enqueue atomically
     * with the change that caused it. Returns the number of deliveries created.
     */
    async enqueue(type: string, data: Record<string, unknown>, trx?: Transaction<DB>): Promise<number> {
      const envelope: WebhookEnvelope = { id: randomUUID(), type, occurred_at: now().toISOString(), data };
      return repo.enqueue(trx ?? deps.db, { id: envelope.id, type, payload: envelope as unknown as Record<string, unknown> });
    },

    /** Attempts every due delivery (several workers may run this at once). */
    async deliverDue(options: { signal?: AbortSignal; batchSize?: number } = {}) {
      const counts = { attempted: 0, delivered: 0, failed: 0, dead: 0 };
      for (;;) {
        if (options.signal?.aborted === true) break;
        const batch = await repo.claimDue(options.batchSize ?? 50);
        if (batch.length === 0) break;
        for (let i = 0; i < batch.length; i += DELIVERY_CONCURRENCY) {
          const outcomes = await Promise.all(batch.slice(i, i + DELIVERY_CONCURRENCY).map((d) => attempt(d)));
          for (const outcome of outcomes) {
            counts.attempted += 1;
            if (outcome === 'delivered') counts.delivered += 1;
            else if (outcome === 'dead') counts.dead += 1;
            else counts.failed += 1;
          }
        }
      }
      return counts;
    },

    /** Changes with every subscription change made through this service (another replica's are not counted). */
    subscriptionsVersion: () => subscriptionsVersion,

    /** Event types at least one enabled subscription wants. */
    async subscribedTypes(): Promise<Set<string>> {
      return new Set((await repo.listSubscriptions()).filter((s) => s.enabled).flatMap((s) => s.events));
    },

    /** When the next pending delivery falls due, if any. */
    nextDueAt: () => repo.earliestPending(),
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
