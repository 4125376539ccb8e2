/** Every event type a webhook can subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  'sim.status_changed',
  'quota.threshold_reached',
  'quota.exhausted',
  'quota.forecast',
  'sim.offline',
  'sim.online',
  'sms.received',
  'bulk_job.finished',
  // Anomaly detector (src/modules/intelligence): one event per alert type, and automatic actions.
  'anomaly.usage_spike',
  'anomaly.silence',
  'anomaly.device_change',
  'anomaly.new_country',
  'anomaly.new_operator',
  'anomaly.action',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent only by `POST /webhooks/{id}/test`; needs no subscription. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** True for a known event type. */
export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** The JSON body of every delivery. */
export interface WebhookEnvelope {
  id: string;
  type: string;
  occurred_at: string;
  data: Record<string, unknown>;
}
