import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of every delivery. */
export const WEBHOOK_HEADERS = {
  signature: 'x-simfleet-signature',
  timestamp: 'x-simfleet-timestamp',
  event: 'x-simfleet-event',
  delivery: 'x-simfleet-delivery',
} as const;

/** Receivers should refuse deliveries whose timestamp is further than this from their clock (replays). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * The signature of one delivery: `sha256=` + hex HMAC-SHA256 over `<timestamp>.<raw body>` keyed by
 * the subscription secret. Signing the timestamp with the body stops an old body being replayed
 * under a fresh timestamp.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Receiver-side check (also used by the tests): signature matches and the timestamp is recent. */
export function verifyWebhook(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  if (headers.signature === undefined || headers.timestamp === undefined || !/^\d+$/.test(headers.timestamp)) return false;
  const timestamp = Number(headers.timestamp);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
