import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { WebhookTargetPolicy } from './webhook-target.js';

/** What a delivery needs to know of the receiver's answer. */
export interface WebhookResponse {
  status: number;
}

/** POSTs one signed delivery; rejects on network errors, refused targets and timeouts. */
export type WebhookPost = (url: string, init: { headers: Record<string, string>; body: string; timeoutMs: number }) => Promise<WebhookResponse>;

/**
 * The delivery HTTP client: node:http(s) with the SSRF policy's `lookup`, so the address checked is
 * the address connected to (no second resolution an attacker's DNS could answer differently). IP
 * literals are checked before connecting. Redirects are never followed (a 3xx is a failed delivery),
 * no connection is pooled (each delivery resolves afresh), and the body of the answer is not read.
 */
export function createWebhookPoster(policy: WebhookTargetPolicy): WebhookPost {
  return (url, init) =>
    new Promise<WebhookResponse>((resolve, reject) => {
      let target: URL;
      try {
        target = new URL(url);
        const host = target.hostname.replace(/^\[|\]$/g, '');
        if (isIP(host) !== 0) policy.checkAddress(host);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(target, {
        method: 'POST',
        headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
        lookup: (hostname, options, callback) => policy.lookup(hostname, options, callback),
        agent: false,
        signal: AbortSignal.timeout(init.timeoutMs),
      });
      req.on('response', (res) => {
        resolve({ status: res.statusCode ?? 0 });
        // Only the status matters; do not let a receiver stream an endless body at us.
        res.destroy();
      });
      req.on('error', reject);
      req.end(init.body);
    });
}
